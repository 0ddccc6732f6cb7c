"""The autoencoder against the VAE: both latent maps with their holes, the hole fractions by the latent
page's rule, draws from N(0, I) decoded, and the lesson in one line."""

from __future__ import annotations

import streamlit as st

from ...analysis import compare as cmp
from ...analysis import latent as la
from ...figures import compare as figs
from ..cache import dataset, per_run, run_ids
from ..charts import shared_figure
from ..layout import explain
from ..lesson import chart, presenting
from ..state import Configs
from .common import ready, runs_of, sample_kw, variant


@per_run(max_entries=16, frozen=True)
def _generator_view(runs: tuple) -> dict:
    return cmp.generator_view(runs[0].model, runs[0].data)



def _metrics(name: str, view: dict) -> None:
    st.markdown(f"**{name}**")
    m1, m2 = st.columns(2)
    m1.metric("Hole fraction", f"{view['hole_fraction']:.0%}",
              help=f"Of {view['n_draws']:,} draws, the share farther than r = {view['radius']:.3g} from every "
                   "code the decoder was trained on (standardised units).")
    m2.metric("Test reconstruction error", f"{view['test_mse']:.4f}")


def ae_vs_vae(cfgs: Configs) -> None:
    """Two latent maps side by side, hole fractions, eight decodings of N(0, I) each, both errors."""
    data = dataset(cfgs[0])
    pair = {"Autoencoder": variant(cfgs, "autoencoder"), "VAE": variant(cfgs, "variational")}
    if not ready(*pair.values()):
        return
    explain(
        f"Same data, architecture and seed, trained both ways (β = {cfgs[1].beta:g}). Both models get the latent "
        f"page's hole rule and its draws: {la.HOLE_DRAWS:,} points from N(0, I) in each model's standardised code "
        "units — what you would decode to *generate* new samples.\n\n" + la.HOLE_RULE)
    cols = st.columns(2)
    views = {}
    for col, (name, c) in zip(cols, pair.items()):
        runs = runs_of(c)
        view = views[name] = _generator_view(runs)
        ids = run_ids(runs)
        with col:
            if presenting():  # one line instead of two tiles, so both maps fit a projector's first screen
                st.markdown(f"**{name}**: hole fraction **{view['hole_fraction']:.0%}**, test error "
                            f"{view['test_mse']:.4f}")
            else:
                _metrics(name, view)
            title = "codes μ (grey: sampled z the decoder saw)" if name == "VAE" else "codes"
            if cfgs[1].latent > 2:
                title += " — first two principal axes"
            fig = shared_figure(("cmp map", ids, title, presenting()), lambda: figs.latent_map_figure(
                view["codes"], view["labels"], data.label_names, title=title, background=view["background"],
                samples=view["samples"], holes=view["holes"], height=400 if presenting() else 480,
                legend_below=not presenting()))  # beside it on a projector's width
            chart(fig, key=f"cmp_map_{name}")
            k = len(view["decoded_holes"])
            st.caption(f"The first {k} of those draws, decoded ({int(view['decoded_holes'].sum())} of them in a hole):")
            chart(shared_figure(("cmp decoded", ids), lambda: figs.decodings_figure(
                view["decoded"], data.kind, data=data.X, **sample_kw(data))), key=f"cmp_dec_{name}")
            share = view["unit_signal"]
            if share is not None and (share < la.COLLAPSED_SHARE).any():
                dead = int((share < la.COLLAPSED_SHARE).sum())
                st.warning(f"Posterior collapse: {dead} of {len(share)} code units carry almost nothing about the "
                           "input (pure noise the decoder ignores), so the μ map loses that direction. Lower β.")
    ae, vae = views["Autoencoder"], views["VAE"]
    cost = (f"here at a cost in reconstruction ({vae['test_mse']:.4f} against {ae['test_mse']:.4f})"
            if vae["test_mse"] > ae["test_mse"] else
            f"and at this β without a cost in reconstruction ({vae['test_mse']:.4f} against {ae['test_mse']:.4f}, "
            "decoding μ); raise β and the error climbs")
    if vae["hole_fraction"] >= ae["hole_fraction"]:
        st.info(f"At β = {cfgs[1].beta:g} the VAE has as many holes as the autoencoder ({vae['hole_fraction']:.0%} "
                f"against {ae['hole_fraction']:.0%}): the KL term is too weak to pull its codes into N(0, I). Raise β.")
        return
    st.info("**The lesson in one line:** the KL term fills the holes — it pulls the codes towards N(0, I) and "
            "blurs each into a cloud of width σ, so the decoder learns to decode everywhere the prior "
            f"samples ({vae['hole_fraction']:.0%} of the draws in holes against {ae['hole_fraction']:.0%}), {cost}.")
