"""The activations, each defined once: the layer the model builds, its backward step for the hand-written
training path, and the same function in the browser's decoder (a JavaScript expression of `x` and `p`).

The model (aeviz.models), the fast path (aeviz.fastpath), the latent map's payload
(aeviz.analysis.latent_map) and the browser's JS all read ACTIVATIONS; adding one is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

_aten = torch.ops.aten


@dataclass(frozen=True)
class Activation:
    """One activation: its torch layer, d(loss)/d(input) from d(loss)/d(output) and the layer's output
    alone, its JavaScript form (an expression of x and of p, the layer's parameter), and that parameter's
    attribute on the torch layer and default."""

    name: str
    layer: type[nn.Module]
    backward: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
    js: str
    param: str | None = None
    param_default: float | None = None

    def make(self) -> nn.Module:
        """A fresh layer of this activation."""
        return self.layer()

    def param_of(self, module: nn.Module) -> float | None:
        """The parameter the browser needs from a layer (ELU's alpha, leaky ReLU's slope), if any."""
        return None if self.param is None else float(getattr(module, self.param))


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", nn.ReLU, lambda m, g, out: _aten.threshold_backward(g, out, 0),
                       "x > 0 ? x : 0"),
    "tanh": Activation("tanh", nn.Tanh, lambda m, g, out: _aten.tanh_backward(g, out), "Math.tanh(x)"),
    "sigmoid": Activation("sigmoid", nn.Sigmoid, lambda m, g, out: _aten.sigmoid_backward(g, out),
                          "1 / (1 + Math.exp(-x))"),
    "elu": Activation("elu", nn.ELU, lambda m, g, out: _aten.elu_backward(g, m.alpha, 1, 1, True, out),
                      "x > 0 ? x : p * Math.expm1(x)", "alpha", 1.0),
    "leaky_relu": Activation("leaky_relu", nn.LeakyReLU,
                             lambda m, g, out: _aten.leaky_relu_backward(g, out, m.negative_slope, True),
                             "x > 0 ? x : p * x", "negative_slope", 0.01),
}


def of_module(module: nn.Module) -> Activation | None:
    """The registered activation a torch layer is (None for anything else, e.g. a Linear)."""
    return next((a for a in ACTIVATIONS.values() if type(module) is a.layer), None)


JS_MODULE = "aeviz/ui/components/js/activations.js"  # written from ACTIVATIONS; a test checks it is current


def js_module() -> str:
    """The browser's activation table as an ES module, built from ACTIVATIONS: `ACTIVATIONS[name](p)` is the
    function x -> activation(x) with the layer's parameter p (its default when the payload has none)."""
    rows = [f"  {a.name}: (p = {a.param_default if a.param_default is not None else 'null'}) => (x) => ({a.js}),"
            for a in ACTIVATIONS.values()]
    return ("// Written by aeviz.activations.js_module() from aeviz.activations.ACTIVATIONS: do not edit by hand\n"
            "// (python -c \"import aeviz.activations as a; a.write_js()\"; tests/test_js.py checks it is current).\n\n"
            "/** The activations by name, each made from its layer's parameter p (ELU's alpha, leaky ReLU's slope). */\n"
            "export const ACTIVATIONS = {\n" + "\n".join(rows) + "\n};\n")


def write_js(root=None) -> None:
    """Write js_module() to the components' js/ folder (run after changing ACTIVATIONS)."""
    from pathlib import Path

    base = Path(root) if root else Path(__file__).resolve().parents[1]
    (base / JS_MODULE).write_text(js_module(), encoding="utf-8")
