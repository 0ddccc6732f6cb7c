"""The hand-written speed path of training: parameters in one flat buffer, a fused Adam over it, and
backpropagation by hand through a Linear/activation stack for plain-MSE models.

Autograd and torch.optim are correct and general; for networks of a few thousand weights their
per-tensor bookkeeping costs more than the arithmetic. Everything here computes the same numbers
(tests compare each piece with autograd and torch.optim.Adam) and refuses, with an error, to run on
parameters whose gradient buffers were never allocated, instead of writing into nothing.
"""

from __future__ import annotations

import functools
import math
import warnings

import torch
from torch import nn

from .activations import of_module



_FUSED_ADAM = getattr(torch, "_fused_adam_", None)  # torch's fused Adam kernel (CPU since torch 2.4)


class GradientsNotAllocated(RuntimeError):
    """A parameter has no gradient buffer to write into (call `flatten_parameters` first)."""


def flatten_parameters(model: nn.Module) -> tuple[nn.Parameter, torch.Tensor]:
    """Re-home every parameter and its gradient as views into two flat buffers; returns (flat, grad).

    With one flat buffer the optimiser makes a single fused update per step and zeroing the gradients
    is one call. Autograd accumulates into the existing gradient views in place.
    """
    params = list(model.parameters())
    if not params:
        raise ValueError("The model has no parameters to train.")
    flat = nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))  # (n_params,)
    grad = torch.zeros_like(flat)  # (n_params,)
    flat.grad = grad
    offset = 0
    for p in params:
        n = p.numel()
        p.data = flat.data[offset:offset + n].view_as(p)
        p.grad = grad[offset:offset + n].view_as(p)
        offset += n
    return flat, grad


class FlatAdam:
    """Adam (Kingma & Ba, 2015) over one flat parameter buffer, as one fused kernel call.

    Same update as torch.optim.Adam with default betas and eps (a test checks it step by step),
    without the per-call bookkeeping that dominates the step time of a net this small. The update runs as
    torch's fused CPU Adam kernel (the one `torch.optim.Adam(fused=True)` calls: one pass over the buffer
    instead of five, 4-6x faster at 100k weights); where that kernel is missing it falls back to five
    in-place tensor ops with the same arithmetic.
    """

    def __init__(self, param: torch.Tensor, grad: torch.Tensor, lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        if grad is None or grad.shape != param.shape:
            raise GradientsNotAllocated("FlatAdam needs a gradient buffer of the parameter's shape "
                                        "(from flatten_parameters).")
        self.param, self.grad, self.lr, self.betas, self.eps = param, grad, lr, betas, eps
        self.m = torch.zeros_like(param)  # first moment
        self.v = torch.zeros_like(param)  # second moment
        self.t = 0
        self._denom = torch.empty_like(param)
        self._step_t = torch.zeros((), dtype=torch.float32)  # the fused kernel's step count, as a tensor
        self._fused = _FUSED_ADAM is not None and param.dtype == torch.float32 and param.device.type == "cpu"

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update of `param` from the gradient currently in `grad`."""
        b1, b2 = self.betas
        self.t += 1
        if self._fused:
            self._step_t.fill_(self.t)
            _FUSED_ADAM([self.param], [self.grad], [self.m], [self.v], [], [self._step_t], amsgrad=False,
                        lr=self.lr, beta1=b1, beta2=b2, weight_decay=0.0, eps=self.eps, maximize=False)
            return
        bc1, bc2 = 1 - b1**self.t, 1 - b2**self.t
        self.m.lerp_(self.grad, weight=1 - b1)
        self.v.mul_(b2).addcmul_(self.grad, self.grad, value=1 - b2)
        torch.sqrt(self.v, out=self._denom).div_(math.sqrt(bc2)).add_(self.eps)
        self.param.addcdiv_(self.m, self._denom, value=-self.lr / bc1)

    def state(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """A copy of the moments and step count (for rollback)."""
        return self.m.clone(), self.v.clone(), self.t

    def restore(self, state: tuple[torch.Tensor, torch.Tensor, int]) -> None:
        """Put back a state taken with `state()`."""
        self.m.copy_(state[0])
        self.v.copy_(state[1])
        self.t = state[2]


def linear_backward(*, grad_out: torch.Tensor, layer_input: torch.Tensor, layer: nn.Linear,
                    need_input_grad: bool) -> torch.Tensor | None:
    """Write d(loss)/d(weight) and d(loss)/d(bias) of one Linear layer into its `.grad` buffers;
    return d(loss)/d(input) if asked. Raises GradientsNotAllocated if a buffer is missing."""
    if layer.weight.grad is None or layer.bias is None or layer.bias.grad is None:
        raise GradientsNotAllocated(f"{layer} has no gradient buffers: call flatten_parameters(model) "
                                    "before backprop, or use autograd.")
    torch.mm(grad_out.t(), layer_input, out=layer.weight.grad)  # (out, in)
    torch.sum(grad_out, dim=0, out=layer.bias.grad)  # (out,)
    return torch.mm(grad_out, layer.weight) if need_input_grad else None  # (batch, in)


def activation_backward(*, grad_out: torch.Tensor, output: torch.Tensor, layer: nn.Module) -> torch.Tensor:
    """d(loss)/d(input) of an activation layer from d(loss)/d(output) and its output."""
    act = of_module(layer)
    if act is None:
        raise TypeError(f"No hand-written backward for {type(layer).__name__}; use autograd.")
    return act.backward(layer, grad_out, output)


_IN_PLACE = {nn.ReLU: torch.relu_, nn.Sigmoid: torch.sigmoid_, nn.Tanh: torch.tanh_}


def _in_place(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The activation applied to x in place where torch has an in-place form, else out of place."""
    fn = _IN_PLACE.get(type(layer))
    return fn(x) if fn is not None else layer(x)


def supports(layers: list[nn.Module]) -> bool:
    """True when every layer is a Linear or an activation this module can differentiate by hand."""
    return all(isinstance(layer, nn.Linear) or of_module(layer) is not None for layer in layers)


@torch.no_grad()
def mse_backprop(*, layers: list[nn.Module], inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the stack's output against `target`, its gradient written (overwritten,
    not accumulated) into every parameter's `.grad`; returns the loss. The same numbers as autograd."""
    outs = [inputs]  # outs[i] is the input of layers[i]; (batch, width_i)
    for i, layer in enumerate(layers):
        # an activation right after a Linear overwrites that Linear's output: backward needs only its own output
        after_linear = i > 0 and isinstance(layers[i - 1], nn.Linear) and not isinstance(layer, nn.Linear)
        outs.append(_in_place(layer, outs[-1]) if after_linear else layer(outs[-1]))
    diff = outs[-1] - target  # (batch, features)
    flat = diff.view(-1)
    loss = torch.dot(flat, flat) / flat.numel()  # the mean square in one pass
    grad = diff.mul_(2.0 / diff.numel())  # d loss / d output, (batch, features)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        if isinstance(layer, nn.Linear):
            grad = linear_backward(grad_out=grad, layer_input=outs[i], layer=layer, need_input_grad=i > 0)
        else:
            grad = activation_backward(grad_out=grad, output=outs[i + 1], layer=layer)
    return loss


# ---------------------------------------------------------------- one epoch in TorchScript

# the activation after each Linear, as the compiled epoch names it (0: none), by its name in aeviz.activations
_ACT_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3, "elu": 4, "leaky_relu": 5}
# each code's forward in place (training; its backward needs only its output), out of place (as the modules
# compute it) and backward from its output, as TorchScript source: {x} the tensor, {p} the layer's parameter
_FORWARD_IN_PLACE = {0: "{x}", 1: "torch.relu_({x})", 2: "torch.sigmoid_({x})", 3: "torch.tanh_({x})",
                     4: "torch.ops.aten.elu({x}, {p})", 5: "torch.ops.aten.leaky_relu({x}, {p})"}
_FORWARD = {0: "{x}", 1: "torch.relu({x})", 2: "torch.sigmoid({x})", 3: "torch.tanh({x})",
            4: "torch.ops.aten.elu({x}, {p})", 5: "torch.ops.aten.leaky_relu({x}, {p})"}
_BACKWARD = {1: "torch.ops.aten.threshold_backward(g, {o}, 0)", 2: "torch.ops.aten.sigmoid_backward(g, {o})",
             3: "torch.ops.aten.tanh_backward(g, {o})", 4: "torch.ops.aten.elu_backward(g, {p}, 1, 1, True, {o})",
             5: "torch.ops.aten.leaky_relu_backward(g, {o}, {p}, True)"}


def _epoch_source(acts: tuple[int, ...]) -> str:
    """TorchScript source of one epoch of mse_backprop + FlatAdam.step for a stack of len(acts) Linear layers,
    the k-th followed by activation acts[k]: the same ops in the same order, so the same numbers, written out
    layer by layer (no loop over layers, no branch on the activation: each costs interpreter time per batch,
    which for a net of a few thousand weights is most of the batch's time)."""
    L = len(acts)
    lines = ["def epoch(X: Tensor, perm: Tensor, batch: int, W: List[Tensor], Wt: List[Tensor], B: List[Tensor],",
             "          GW: List[Tensor], GB: List[Tensor], P: List[float], flat: List[Tensor], grad: List[Tensor],",
             "          m: List[Tensor], v: List[Tensor], step_t: List[Tensor], t0: int, lr: float, beta1: float,",
             "          beta2: float, eps: float, X_test: Tensor, backup: List[Tensor]) -> Tensor:",
             "    backup[0].copy_(flat[0])  # the state before the epoch, for a rollback",
             "    backup[1].copy_(m[0])",
             "    backup[2].copy_(v[0])"]
    for k in range(L):
        lines += [f"    {name}{k}{t} = {src}[{k}]" for name, t, src in
                  (("w", "", "W"), ("w", "t", "Wt"), ("b", "", "B"), ("gw", "", "GW"), ("gb", "", "GB"), ("p", "", "P"))]
    lines += ["    n = X.size(0)", "    total = torch.zeros((), dtype=X.dtype)", "    t = t0",
              "    for start in range(0, n, batch):",
              "        h0 = torch.index_select(X, 0, perm[start:start + batch])  # (batch, features)"]
    for k in range(L):  # h{k}: the input of Linear k; h{k+1}: its activated output
        lines.append(f"        h{k + 1} = " + _FORWARD_IN_PLACE[acts[k]].format(
            x=f"torch.addmm(b{k}, h{k}, w{k}t)", p=f"p{k}"))
    lines += [f"        diff = h{L} - h0  # (batch, features)", "        flat_diff = diff.view(-1)",
              "        total.add_(torch.dot(flat_diff, flat_diff))  # the batch's squared error, summed",
              "        g = diff.mul_(2.0 / diff.numel())"]
    for k in range(L - 1, -1, -1):
        if acts[k]:
            lines.append("        g = " + _BACKWARD[acts[k]].format(o=f"h{k + 1}", p=f"p{k}"))
        lines += [f"        torch.mm(g.t(), h{k}, out=gw{k})  # (out, in)", f"        torch.sum(g, dim=0, out=gb{k})"]
        if k > 0:
            lines.append(f"        g = torch.mm(g, w{k})  # (batch, in)")
    lines += ["        t += 1", "        step_t[0].fill_(t)",
              "        torch.ops.aten._fused_adam_(flat, grad, m, v, [], step_t, lr=lr, beta1=beta1, beta2=beta2,",
              "                                    weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)"]
    # the test error after the epoch, op for op what `Autoencoder.loss` computes through its modules (nn.Linear is
    # addmm on 2-D input; each activation out of place; F.mse_loss): the same bits, without a Python call per layer
    lines += ["    h = X_test"] + [
        "    h = " + _FORWARD[a].format(x=f"torch.addmm(b{k}, h, w{k}t)", p=f"p{k}") for k, a in enumerate(acts)]
    lines += ["    test = torch.nn.functional.mse_loss(h, X_test)",
              "    # the epoch's summed squared error per feature, the test error, and what the divergence checks read",
              "    return torch.stack([total / X.size(1), test, flat[0].sum(), grad[0].amax(), grad[0].amin()])"]
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=64)  # one per stack shape a server has trained: bounded whatever visitors choose
def _compiled(acts: tuple[int, ...]):
    """The epoch of a stack with these activation codes, compiled on first use."""
    with warnings.catch_warnings():  # torch 2.13 calls TorchScript deprecated; it is what releases the lock
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.CompilationUnit(_epoch_source(acts)).epoch


class CompiledEpoch:
    """A plain-MSE Linear/activation stack's whole epoch (forward, backward by hand, fused Adam) as one
    TorchScript call: the same numbers as mse_backprop + FlatAdam.step batch by batch (a test compares them
    bit for bit), without Python between the ops. `of(layers, optimizer)` is None where it does not apply
    (another layer, no fused Adam kernel): the caller then trains batch by batch."""

    def __init__(self, weights, biases, weight_grads, bias_grads, acts, act_params, optimizer: FlatAdam):
        weights_t = [w.t() for w in weights]  # views: they follow every in-place update of the weights
        self.lists = (weights, weights_t, biases, weight_grads, bias_grads, act_params)
        self.acts = tuple(acts)
        self.optimizer = optimizer
        # (weights, m, v) before the last epoch, for `restore()`
        self._backup = [torch.empty_like(optimizer.param), torch.empty_like(optimizer.m), torch.empty_like(optimizer.v)]
        self._backup_t = optimizer.t
        self.checks: dict[str, float] = {}  # the last epoch's weight sum and gradient extremes, for divergence checks

    @classmethod
    def of(cls, layers: list[nn.Module], optimizer: FlatAdam) -> "CompiledEpoch | None":
        if not optimizer._fused or not layers or not isinstance(layers[0], nn.Linear):
            return None
        weights, biases, weight_grads, bias_grads, acts, act_params = [], [], [], [], [], []
        for i, layer in enumerate(layers):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Linear):
                if layer.bias is None or layer.weight.grad is None or layer.bias.grad is None:
                    return None
                weights.append(layer.weight.data)
                biases.append(layer.bias.data)
                weight_grads.append(layer.weight.grad)
                bias_grads.append(layer.bias.grad)
                act = None if nxt is None or isinstance(nxt, nn.Linear) else of_module(nxt)
                if act is None and nxt is not None and not isinstance(nxt, nn.Linear):
                    return None  # a layer the compiled epoch cannot differentiate
                if act is not None and act.name not in _ACT_CODES:
                    return None  # an activation registered after the compiled epoch was written
                acts.append(_ACT_CODES[act.name] if act else 0)
                act_params.append((act.param_of(nxt) or 0.0) if act else 0.0)
            elif i == 0 or not isinstance(layers[i - 1], nn.Linear):
                return None  # two activations in a row: not this stack
        return cls(weights, biases, weight_grads, bias_grads, acts, act_params, optimizer)

    @torch.no_grad()
    def run(self, X: torch.Tensor, perm: torch.Tensor, batch: int, X_test: torch.Tensor) -> tuple[float, float]:
        """Train one epoch over X (rows, features) in `perm`'s order and evaluate on X_test, in one call; returns
        (summed squared error per feature, i.e. the batch losses × batch sizes; test MSE) and sets `checks`. The
        state before the epoch is kept for `restore()`."""
        opt = self.optimizer
        self._backup_t = opt.t
        b1, b2 = opt.betas
        # as written (the optimiser's rewrites change the last bits); inference mode skips autograd's dispatch
        # step on every op (5 % of a small net's epoch); the weights it updates in place stay normal tensors
        with torch.jit.optimized_execution(False), torch.inference_mode():
            out = _compiled(self.acts)(X, perm, batch, *self.lists, [opt.param], [opt.grad], [opt.m], [opt.v],
                                       [opt._step_t], opt.t, opt.lr, b1, b2, opt.eps, X_test, self._backup)
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
