"""Architecture: the hourglass with layer sizes and parameter counts, and one sample's forward pass."""

import streamlit as st

from aeviz import analysis, figures, layer_table, ui
from aeviz.ui import units

data_cfg, model_cfg, train_cfg = ui.configs()
data = ui.dataset(data_cfg)
rows = layer_table(model_cfg, data.n_features)

ui.intro(
    "Architecture",
    f"The network is an hourglass: {data.n_features} numbers in, squeezed through the encoder to a "
    f"**{model_cfg.latent}**-number code, and expanded by the mirrored decoder back to {data.n_features}. "
    "Each block's height is its layer's width. A dense layer from m units to n units has a weight for "
    "every pair plus one bias per output:",
    r"\#\text{params}(m \to n) = m \cdot n + n",
)
ui.chart(ui.shared_figure(("hourglass", model_cfg, data.n_features), lambda: figures.hourglass_figure(rows)),
         key="hourglass")
st.dataframe(ui.shared_table(("layers", model_cfg, data.n_features), lambda: rows), hide_index=True,
             column_config={"params": st.column_config.NumberColumn("parameters", format="%d")})

st.subheader("One sample's forward pass")
st.markdown("Press ▶ to follow one input through the trained network, layer by layer: blue is positive, "
            "red negative, white near zero (the colour bar on the right gives the scale). Watch the "
            "numbers squeeze into the code and spread back out. An image layer (the input and the output) is drawn "
            f"as the image itself, in grey from white 0 to black 1, and any other layer wider than "
            f"{figures.WIDE_LAYER} units as a strip of cells.")
run = ui.model_or_stop()
index = st.number_input("Sample index", 0, len(data.X) - 1, 0, key="arch_sample")
x = data.X[index]
acts = analysis.layer_activations(run.model, x)
left, mid, right = st.columns([1, 4, 1])
kw = dict(kind=data.kind, feature_names=data.feature_names, image_shape=data.image_shape, height=200)
fig_key = (run.id, data_cfg, int(index))  # the figures depend on the trained run and the sample alone
ui.chart(ui.shared_figure(("arch in", *fig_key), lambda: figures.sample_figure(acts[0], title="input", **kw)),
         where=left, key="arch_in")
ui.chart(ui.shared_figure(("arch pass", *fig_key), lambda: figures.forward_pass_figure(rows, acts, data.image_shape)),
         where=mid, key="arch_pass")
ui.chart(ui.shared_figure(("arch out", *fig_key), lambda: figures.sample_figure(acts[-1], title="output", **kw)),
         where=right, key="arch_out")

st.subheader("What each first-layer unit looks for")
units.weight_tiles_section(run)

ui.try_this([
    "Switch the dataset to gw and set the hidden widths to 64, 32: the first layer has 16×64 + 64 = 1,088 parameters.",
    "Choose the variational variant: the code layer doubles its parameters (it outputs μ and log σ²).",
    "Widen the first layer to 256: where are most of the parameters now, and why?",
])
