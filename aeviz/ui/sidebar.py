"""The shared sidebar: dataset, model and training settings, read from and written to the URL."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..config import DataConfig, ModelConfig
from ..datasets import DATASETS, UPLOAD, defaults_for, title
from ..fields import (BATCH_SIZES, BETAS, LEARNING_RATES, PENALTIES, SETTINGS, Configs, Field, check_settings,
                      read_settings, setting, settings_query)
from ..models import VARIANTS
from .cache import dataset
from .lesson import hidden as lesson_hides
from .presets import preset_buttons, widget_values
from .runs import budget_message
from .text import plain
from .state import CONFIGS, set_configs
from .table_upload import session_dataset, table_upload_section

__all__ = ["BATCH_SIZES", "BETAS", "LEARNING_RATES", "PENALTIES", "parse_widths", "settings_summary", "sidebar"]
_PREFIXED = ("d_", "m_", "t_")
_LINK = "aeviz_link_configs"  # the settings the link named (checked by the state table), read once per session
_URL_NOTES = "aeviz_url_notes"  # (what the link asked for that was refused, the settings they were shown with)
_TITLES = {"w_dataset": lambda n: title(n) + ("" if n not in DATASETS or DATASETS[n].available() else " (not installed)"),
           "w_variant": lambda n: VARIANTS[n].title if n in VARIANTS else n}


def parse_widths(text: str) -> tuple[int, ...]:
    """'32, 16' -> (32, 16), checked by the state table's m_hidden; raises ValueError with a message a
    student can act on."""
    f = SETTINGS["m_hidden"]
    try:
        return f.read(text)
    except ValueError as exc:
        reason = str(exc)
    if reason == "not a number":
        shown = text.replace("`", chr(39))
        raise ValueError(f"Hidden widths must be whole numbers separated by commas, e.g. 32, 16 (got `{shown}`).")
    if reason.startswith("not 1 to"):
        raise ValueError(f"Give 1 to {reason.split()[3]} hidden layers, e.g. 32, 16.")
    raise ValueError(f"Each hidden width must be a whole number between {f.lo:g} and {f.hi:g}.")


def _widths_text(widths: tuple[int, ...]) -> str:
    return ", ".join(str(w) for w in widths)


def _widget_values(cfgs: Configs) -> dict:
    """Each sidebar widget's value for some settings (keyed by the widgets' session keys)."""
    return widget_values(*cfgs)


def _link() -> Configs:
    """The settings the link names, read (and its refused values noted) on the session's first run."""
    if _LINK not in st.session_state:
        params = {k: st.query_params[k] for k in st.query_params}
        cfgs, notes = read_settings(params)
        if not _installed(cfgs[0].name):
            notes.append(f"{DATASETS[cfgs[0].name].missing()} The default dataset is shown instead.")
            cfgs = defaults_for(DataConfig().name)
        st.session_state[_LINK] = cfgs
        st.session_state[_URL_NOTES] = (tuple(notes), None)
    return st.session_state[_LINK]


def _installed(name: str) -> bool:
    """False for a registered dataset whose files are not installed on this server."""
    return name not in DATASETS or DATASETS[name].available()


def _dataset_changed() -> None:
    """A new dataset was picked: every setting still at the old dataset's default moves to the new one's
    (settings the student changed stay as they are)."""
    old = _widget_values(defaults_for(st.session_state.get(CONFIGS, defaults_for(DataConfig().name))[0].name))
    new = _widget_values(defaults_for(st.session_state["w_dataset"]))
    for key, value in new.items():
        if key != "w_dataset" and st.session_state.get(key) == old[key] and value != old[key]:
            st.session_state[key] = value


def field_widget(where, f: Field, *, radio: bool = False, **kwargs):
    """Draw the widget the state table declares for a field (its label, range, step or options, help);
    `radio` draws a choice as a row of radio buttons."""
    kw = {"key": f.widget, "help": f.help or None, **kwargs}
    if f.kind == "choice" and radio:
        return where.radio(f.label, f.allowed(), horizontal=True, **kw)
    if f.kind == "choice":
        return where.selectbox(f.label, f.allowed(), format_func=_TITLES.get(f.widget, str), **kw)
    if f.kind == "bool":
        return where.checkbox(f.label, **kw)
    if f.options:
        return where.select_slider(f.label, f.options, **kw)
    if f.kind == "int":  # a float input with no bounds of its own: the table checks the value (a tampered NaN or
        # out-of-range value then gets a note and the default instead of a traceback or a silent 1)
        return where.number_input(f.label, min_value=None, max_value=None, step=1.0, format="%.0f", **kw)
    return where.slider(f.label, float(f.lo), float(f.hi), step=f.step, **kw)


def _defaults_caption(name: str) -> str:
    """One line saying what the dataset starts with."""
    _, m, t = defaults_for(name)
    return (f"This dataset starts at hidden widths {_widths_text(m.hidden)}, a {m.latent}-number code and "
            f"{t.epochs} epochs.")


def _sync_url(cfgs: Configs) -> None:
    """Keep the URL's settings equal to the sidebar's, leaving other query parameters alone."""
    wanted = settings_query(*cfgs)
    for key in list(st.query_params):
        if key.startswith(_PREFIXED) and key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def settings_summary(cfgs: Configs) -> str:
    """The settings in one sentence (dataset, variant, layer widths, activation, training)."""
    data = _data_or_none(cfgs[0])
    return _summary(cfgs, data.n_features if data is not None else "?")[len("Settings for this lesson: "):].rstrip(".")


def _data_or_none(cfg: DataConfig):
    """The dataset `cfg` names, or None for an uploaded table this session does not hold (yet)."""
    return session_dataset(cfg) if cfg.name == UPLOAD else dataset(cfg)


UPLOAD_NOT_SHARED = ("Your table stays in this browser session: nobody else can see it, and the address bar's "
                     "link opens the default dataset ({default}) for whoever opens it, with a note saying why.")


def _summary(cfgs: Configs, n_features: int | str) -> str:
    d, m, t = cfgs
    return (f"Settings for this lesson: {title(d.name)}, {VARIANTS[m.variant].title}, {n_features}→"
            f"{'→'.join(map(str, m.hidden))}→{m.latent}, {m.activation}, learning rate {t.lr:g}, "
            f"{t.epochs} epochs, batch {t.batch_size}, seed {t.seed}.")


def _fixed_sidebar(cfgs: Configs) -> Configs:
    """The lesson's link hides the settings: use the link's (checked as the widgets' are) and name them."""
    data = dataset(cfgs[0])
    st.sidebar.caption(_summary(cfgs, data.n_features))
    _finish(st.sidebar, cfgs, data)
    return cfgs


def _finish(sb, cfgs: Configs, data) -> None:
    """What both sidebars end with: the budget's verdict (when there is data), the link's refused values, the
    session's settings stored and written to the URL."""
    too_costly = budget_message(*cfgs, data) if data is not None else None
    if too_costly:  # said here at once; every page refuses to train it with the same message
        sb.error(too_costly, icon=":material/block:")
    _url_notes(sb, cfgs)
    set_configs(cfgs)
    _sync_url(cfgs)


def sidebar() -> Configs:
    """Draw the shared settings and return (DataConfig, ModelConfig, TrainConfig); when the lesson's link
    hides them (?hide=settings), the link's settings are used and only named. Both read the link through
    the state table (aeviz.fields), so the same link gives the same settings either way."""
    link = _link()
    if lesson_hides("settings"):
        return _fixed_sidebar(link)
    if "w_dataset" not in st.session_state:  # the session's first run: every widget starts at the link's value
        st.session_state.update(_widget_values(link))
    sb = st.sidebar
    sb.header("Settings")
    name = field_widget(sb, SETTINGS["d_name"], on_change=_dataset_changed)
    if not _installed(name):  # listed, but its files are absent here: say so, with the line that installs them
        sb.error(f"{DATASETS[name].missing()} The default dataset is used until then.")
        name = DataConfig().name
    if name in DATASETS:
        sb.caption(_defaults_caption(name))
        preset_buttons(sb, name)
    table = ""
    if name == UPLOAD:  # this session's own table: read here, so every page finds it
        with sb.container(border=True):
            upload = table_upload_section(seed=link[0].seed, test_size=link[0].test_size)
            table = upload.table if upload is not None and upload.dataset is not None else ""
            st.caption(UPLOAD_NOT_SHARED.format(default=title(DataConfig().name)))
    values = {"variant": field_widget(sb, SETTINGS["m_variant"])}
    text = sb.text_input(SETTINGS["m_hidden"].label, key="w_hidden", help=SETTINGS["m_hidden"].help)
    try:
        values["hidden"] = parse_widths(text)
    except ValueError as exc:
        values["hidden"] = defaults_for(name)[1].hidden
        sb.error(f"{exc} Using {_widths_text(values['hidden'])} until this is fixed.")
    for key in ("m_latent", "m_activation"):
        values[SETTINGS[key].attr] = field_widget(sb, SETTINGS[key])
    variant = VARIANTS.get(values["variant"])
    for attr in (variant.knobs if variant else ()):  # the knobs the variant's registry entry names
        values[attr] = field_widget(sb, setting(ModelConfig, attr))
    bounded = name in DATASETS and DATASETS[name].bounded
    values["recon_loss"] = field_widget(sb, SETTINGS["m_recon_loss"], radio=True) if bounded else "mse"
    with sb.expander("Training", expanded=True):
        train = {SETTINGS[k].attr: field_widget(st, SETTINGS[k]) for k in ("t_lr", "t_epochs", "t_batch_size", "t_seed")}
    # what no widget sets (the data's seed and split, the snapshot interval, other variants' knobs) stays the link's
    d0, m0, t0 = link
    wanted = (replace(d0, name=name, table=table), replace(m0, **values), replace(t0, **train))
    cfgs, notes = check_settings(wanted, _fallback(link, name))
    for note in notes:  # a value no widget offers (a tampered client): the default is used, and said
        sb.warning(plain(note))
    data = _data_or_none(cfgs[0])
    if data is None:  # "Your own table" with no table yet: the pages say to upload one
        _finish(sb, cfgs, None)
        return cfgs
    model_cfg, train_cfg = cfgs[1], cfgs[2]
    if model_cfg.latent >= data.n_features:
        sb.warning(f"The code ({model_cfg.latent}) is as wide as the input ({data.n_features}): the network "
                   "can learn the identity, and the bottleneck teaches nothing.")
    if train_cfg.batch_size >= len(data.train_idx):
        sb.info(f"The batch is larger than the {len(data.train_idx)} training rows: each epoch is one full-batch step.")
    _finish(sb, cfgs, data)
    return cfgs


def _fallback(link: Configs, name: str) -> Configs:
    """What a refused widget value falls back to: the dataset's default, with the link's unwidgeted fields."""
    d, m, t = defaults_for(name if name in DATASETS else DataConfig().name)
    return replace(link[0], name=d.name), m, replace(t, snapshot_every=link[2].snapshot_every)


def _url_notes(sb, cfgs: Configs) -> None:
    """Say which of the link's values were refused, until the student changes a setting."""
    notes, shown_with = st.session_state.get(_URL_NOTES, ((), None))
    if notes and shown_with in (None, cfgs):
        st.session_state[_URL_NOTES] = (notes, cfgs)
        for note in notes:  # they quote the link: shown as text
            sb.warning(plain(note))
