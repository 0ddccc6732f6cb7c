"""The hand-written speed path of training. .flat: parameters in one flat buffer (each Linear as one [Wᵀ; b]
block), a fused Adam over it and backpropagation by hand for plain-MSE stacks; .epoch: a whole epoch of such a
stack as one TorchScript call. Each is checked against autograd and torch.optim in the tests."""

from .epoch import CompiledEpoch
from .flat import (FlatAdam, GradientsNotAllocated, activation_backward, block_layout, flatten_parameters,
                   linear_backward, linear_block, mse_backprop, supports)

__all__ = ["CompiledEpoch", "FlatAdam", "GradientsNotAllocated", "activation_backward", "block_layout",
           "flatten_parameters", "linear_backward", "linear_block", "mse_backprop", "supports"]
