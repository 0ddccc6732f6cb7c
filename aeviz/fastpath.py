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


def _mse_epoch(X: torch.Tensor, perm: torch.Tensor, batch: int, weights: list[torch.Tensor],
               biases: list[torch.Tensor], weight_grads: list[torch.Tensor], bias_grads: list[torch.Tensor],
               acts: list[int], act_params: list[float], flat: list[torch.Tensor], grad: list[torch.Tensor],
               m: list[torch.Tensor], v: list[torch.Tensor], step_t: list[torch.Tensor], t0: int, lr: float,
               beta1: float, beta2: float, eps: float) -> torch.Tensor:
    """One epoch of mse_backprop and FlatAdam.step over the batches of X in `perm`'s order, op for op the same
    arithmetic (so the same numbers); returns the sum over batches of the batch loss times its size. Compiled
    with TorchScript, it runs as one call that holds Python's lock only to start: the pages of a shared server
    keep the interpreter while it trains. The one-element lists are how TorchScript lets an op update a
    tensor in place."""
    n = X.size(0)
    total = torch.zeros((), dtype=X.dtype)
    t = t0
    layers = len(weights)
    for start in range(0, n, batch):
        xb = torch.index_select(X, 0, perm[start:start + batch])  # (batch, features)
        outs = [xb]  # outs[k]: the input of Linear k; outs[k + 1] its (activated) output
        h = xb
        for k in range(layers):
            h = torch.addmm(biases[k], h, weights[k].t())
            a = acts[k]
            if a == 1:
                h = torch.relu_(h)
            elif a == 2:
                h = torch.sigmoid_(h)
            elif a == 3:
                h = torch.tanh_(h)
            elif a == 4:
                h = torch.ops.aten.elu(h, act_params[k])
            elif a == 5:
                h = torch.ops.aten.leaky_relu(h, act_params[k])
            outs.append(h)
        diff = h - xb  # (batch, features)
        flat_diff = diff.view(-1)
        loss = torch.dot(flat_diff, flat_diff) / flat_diff.numel()
        g = diff.mul_(2.0 / diff.numel())
        for k in range(layers - 1, -1, -1):
            a = acts[k]
            out = outs[k + 1]
            if a == 1:
                g = torch.ops.aten.threshold_backward(g, out, 0)
            elif a == 2:
                g = torch.ops.aten.sigmoid_backward(g, out)
            elif a == 3:
                g = torch.ops.aten.tanh_backward(g, out)
            elif a == 4:
                g = torch.ops.aten.elu_backward(g, act_params[k], 1, 1, True, out)
            elif a == 5:
                g = torch.ops.aten.leaky_relu_backward(g, out, act_params[k], True)
            torch.mm(g.t(), outs[k], out=weight_grads[k])  # (out, in)
            torch.sum(g, dim=0, out=bias_grads[k])  # (out,)
            if k > 0:
                g = torch.mm(g, weights[k])  # (batch, in)
        t += 1
        step_t[0].fill_(t)
        torch.ops.aten._fused_adam_(flat, grad, m, v, [], step_t, lr=lr, beta1=beta1, beta2=beta2,
                                    weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)
        total = total + loss * xb.size(0)
    return total


@functools.cache
def _compiled_epoch():
    """_mse_epoch compiled, on first use."""
    with warnings.catch_warnings():  # torch 2.13 calls TorchScript deprecated; it is what releases the lock
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(_mse_epoch)


class CompiledEpoch:
    """A plain-MSE Linear/activation stack's whole epoch (forward, backward by hand, fused Adam) as one
    TorchScript call: the same numbers as mse_backprop + FlatAdam.step batch by batch (a test compares them
    bit for bit), without Python between the ops. `of(layers, optimizer)` is None where it does not apply
    (another layer, no fused Adam kernel): the caller then trains batch by batch."""

    def __init__(self, weights, biases, weight_grads, bias_grads, acts, act_params, optimizer: FlatAdam):
        self.lists = (weights, biases, weight_grads, bias_grads, acts, act_params)
        self.optimizer = optimizer

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
    def run(self, X: torch.Tensor, perm: torch.Tensor, batch: int) -> torch.Tensor:
        """Train one epoch over X (rows, features) in `perm`'s order; the summed batch loss × batch size."""
        opt = self.optimizer
        b1, b2 = opt.betas
        with torch.jit.optimized_execution(False):  # as written: the optimiser's rewrites change the last bits
            total = _compiled_epoch()(X, perm, batch, *self.lists, [opt.param], [opt.grad], [opt.m], [opt.v],
                                      [opt._step_t], opt.t, opt.lr, b1, b2, opt.eps)
        opt.t += -(-X.shape[0] // batch)
        return total
