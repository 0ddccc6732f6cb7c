// Written by aeviz.activations.js_module() from aeviz.activations.ACTIVATIONS: do not edit by hand
// (python -c "import aeviz.activations as a; a.write_js()"; tests/test_js.py checks it is current).

/** The activations by name, each made from its layer's parameter p (ELU's alpha, leaky ReLU's slope). */
export const ACTIVATIONS = {
  relu: (p = null) => (x) => (x > 0 ? x : 0),
  tanh: (p = null) => (x) => (Math.tanh(x)),
  sigmoid: (p = null) => (x) => (1 / (1 + Math.exp(-x))),
  elu: (p = 1.0) => (x) => (x > 0 ? x : p * Math.expm1(x)),
  leaky_relu: (p = 0.01) => (x) => (x > 0 ? x : p * x),
};
