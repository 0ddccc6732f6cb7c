"""The flat buffer and what runs over it: every parameter and gradient as views into two flat buffers (each
Linear's weight and bias as one [Wᵀ; b] block), a fused Adam over them, and backpropagation by hand through a
Linear/activation stack for plain-MSE models.

Autograd and torch.optim are correct and general; for networks of a few thousand weights their
per-tensor bookkeeping costs more than the arithmetic. Everything here computes the same numbers
(tests compare each piece with autograd and torch.optim.Adam) and refuses, with an error, to run on
parameters whose gradient buffers were never allocated, instead of writing into nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..activations import of_module


_FUSED_ADAM = getattr(torch, "_fused_adam_", None)  # torch's fused Adam kernel (CPU since torch 2.4)


class GradientsNotAllocated(RuntimeError):
    """A parameter has no gradient buffer to write into (call `flatten_parameters` first)."""


def flatten_parameters(model: nn.Module) -> tuple[nn.Parameter, torch.Tensor]:
    """Re-home every parameter and its gradient as views into two flat buffers; returns (flat, grad).

    With one flat buffer the optimiser makes a single fused update per step and zeroing the gradients
    is one call. Autograd accumulates into the existing gradient views in place. Each Linear's weight and
    bias are laid out together as one (in + 1, out) row-major block [Wᵀ; b] (so the weight is a transposed
    view): a product with a row of ones appended to the layer's input gives its output with the bias added, or
    its weight and bias gradients at once (see CompiledEpoch). Other parameters follow as they are.
    """
    params = list(model.parameters())
    if not params:
        raise ValueError("The model has no parameters to train.")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear) and m.bias is not None]
    in_blocks = {id(p) for m in linears for p in (m.weight, m.bias)}
    rest = [p for p in params if id(p) not in in_blocks]
    sizes = [m.weight.numel() + m.bias.numel() for m in linears] + [p.numel() for p in rest]
    data, grad = torch.empty(sum(sizes), dtype=params[0].dtype), torch.zeros(sum(sizes), dtype=params[0].dtype)
    offset = 0
    for m, n in zip(linears, sizes):
        out, inp = m.weight.shape
        _into_block(m, data[offset:offset + n].view(inp + 1, out), grad[offset:offset + n].view(inp + 1, out))
        offset += n
    for p, n in zip(rest, sizes[len(linears):]):
        data[offset:offset + n].copy_(p.detach().reshape(-1))
        p.data = data[offset:offset + n].view_as(p)
        p.grad = grad[offset:offset + n].view_as(p)
        offset += n
    flat = nn.Parameter(data)
    flat.grad = grad
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


def _into_block(layer: nn.Linear, block: torch.Tensor, grad_block: torch.Tensor | None = None) -> None:
    """Copy the layer's weight and bias into `block` (in + 1, out) as [Wᵀ; b] and re-home them there: the weight
    becomes an (out, in) view with strides (1, out), the bias the last row; the gradients likewise in
    `grad_block` if given."""
    inp = layer.weight.shape[1]
    block[:inp].copy_(layer.weight.detach().t())
    block[inp].copy_(layer.bias.detach())
    layer.weight.data, layer.bias.data = block[:inp].t(), block[inp]
    if grad_block is not None:
        layer.weight.grad, layer.bias.grad = grad_block[:inp].t(), grad_block[inp]


def linear_block(layer: nn.Linear, grad: bool = False) -> torch.Tensor | None:
    """The layer's [Wᵀ; b] block, (in + 1, out) row-major, as flatten_parameters lays it out (of its gradient if
    `grad`), or None when its weight and bias are not laid out so."""
    w, b = (layer.weight.grad, layer.bias.grad) if grad else (layer.weight.data, layer.bias.data)
    if w is None or b is None:
        return None
    out, inp = w.shape
    if w.stride() != (1, out) or b.stride() != (1,) or b.untyped_storage().data_ptr() != w.untyped_storage().data_ptr() \
            or b.storage_offset() != w.storage_offset() + inp * out:
        return None
    return torch.as_strided(w, (inp + 1, out), (out, 1))


def block_layout(model: nn.Module) -> nn.Module:
    """Store each Linear's weight and bias as one [Wᵀ; b] block, as flatten_parameters lays them out (the weight a
    transposed view), and return the model. Every model aeviz builds is laid out so: nn.Linear's product then runs
    on the same operands in a trained model, its copies and one restored from saved weights, so all of them give
    the same bits (a weight stored the other way round is multiplied by another BLAS kernel, which rounds
    differently in the last bit)."""
    for m in model.modules():
        if isinstance(m, nn.Linear) and m.bias is not None and linear_block(m) is None:
            out, inp = m.weight.shape
            _into_block(m, torch.empty(inp + 1, out, dtype=m.weight.dtype))
    return model
