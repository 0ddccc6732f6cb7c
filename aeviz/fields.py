"""The state table: every value a widget sets and a link carries, declared once.

Each `Field` names its URL key, its type, what it accepts (a range, a step, the only values a select
slider offers, or a registry's names), its default, its label and widget key, and the page that sets it.
The sidebar and the pages draw their widgets from it and check what the widgets return against it; the
link is read and written through it (`read_settings`, `settings_query`, `page_values`, `page_query`).

One rule for every value: a link value (or a tampered widget value) that is not understood, not finite,
out of range or not one of the values its widget offers is refused with one plain sentence, and the
default is used instead; nothing is snapped, clamped or dropped silently.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Iterable, Mapping

from .activations import ACTIVATIONS
from .analysis.anomaly import PRESETS, AnomalyConfig
from .analysis.recon import SELECTIONS
from .config import DataConfig, ModelConfig, TrainConfig
from .datasets import DATASETS, UPLOAD, choices as dataset_choices, defaults_for
from .models import VARIANTS
from .train import DEFAULT_SPEED, SPEEDS

MAX_TEXT = 200  # a longer parameter is not read at all
MAX_HIDDEN_LAYERS = 6
MAX_LATENT = 64
_WIDTHS_SPLIT = re.compile(r"\s*[,;-]\s*|\s+")  # "32, 16", "32-16", "32 16"


@dataclass(frozen=True)
class Field:
    """One value a widget sets and a link carries.

    kind: "float", "int", "bool", "choice" (one of `choices`), "widths" (1 to MAX_HIDDEN_LAYERS whole
    numbers, each between lo and hi), "point" (1 to `max_items` numbers, each between lo and hi) or "session"
    (a key only the session sets, e.g. its uploaded table's: "" or 16 hex digits, never read from a link).
    A float or int with `options` accepts only those values (a select slider's stops); with `step`, only
    multiples of it from `lo`. `choices` is a tuple or a function returning one (a registry's names, read
    when the value is checked, so an entry registered later is accepted). `default` is used by the page
    fields; a setting's default is its dataset's (aeviz.datasets.defaults_for)."""

    key: str  # the URL parameter, e.g. "t_lr"
    kind: str
    page: str  # where it is set: "sidebar", "train", "latent", "recon", "anomaly", or "all"
    label: str = ""
    widget: str = ""  # the widget's session-state key ("" when only a link sets it)
    lo: float = -math.inf
    hi: float = math.inf
    step: float | None = None
    options: tuple[float, ...] = ()
    choices: tuple[str, ...] | Callable[[], Iterable[str]] = ()
    default: Any = None
    max_items: int = 1
    max_len: int = MAX_TEXT
    instead: str = ""  # what happens instead of a refused value ("" means "the default ... is used")
    help: str = ""

    @property
    def attr(self) -> str:
        """The config attribute a setting sets ("t_lr" -> "lr")."""
        return self.key[2:]

    def allowed(self) -> tuple[str, ...]:
        """The names a choice accepts, now."""
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def read(self, text: str) -> Any:
        """A link's text as this field's value; ValueError saying why ("outside 1 to 1000", ...)."""
        text = str(text).strip()
        if len(text) > self.max_len:
            raise ValueError("too long")
        if self.kind == "session":
            raise ValueError("it names one session's uploaded table, which a link cannot carry")
        if self.kind == "choice":
            return self.check(text)
        if self.kind == "bool":
            word = text.lower()
            if word in ("1", "true", "yes", "on"):
                return True
            if word in ("0", "false", "no", "off"):
                return False
            raise ValueError("not one of 1, 0, true, false")
        if self.kind in ("widths", "point"):
            parts = _WIDTHS_SPLIT.split(text) if self.kind == "widths" else text.split(",")
            return self.check(tuple(_number(p) for p in parts))
        return self.check(_number(text))

    def check(self, value: Any) -> Any:
        """A typed value (a widget's, or one read from a link) if this field accepts it, normalised (an
        option's exact value, a whole number as int); ValueError saying why otherwise."""
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.allowed():
                raise ValueError(f"not one of {', '.join(self.allowed())}")
            return value
        if self.kind == "session":
            if not isinstance(value, str) or not re.fullmatch(r"(|[0-9a-f]{16})", value):
                raise ValueError("not a session's table key")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("not true or false")
            return value
        if self.kind in ("widths", "point"):
            items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
            most = MAX_HIDDEN_LAYERS if self.kind == "widths" else self.max_items
            if not 1 <= len(items) <= most:
                raise ValueError(f"not 1 to {most} numbers")
            item = Field(self.key, "int" if self.kind == "widths" else "float", self.page, lo=self.lo, hi=self.hi)
            return tuple(item.check(v) for v in items)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("not a number")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        if self.kind == "int" and value != int(value):
            raise ValueError("not a whole number")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"outside {self.lo:g} to {self.hi:g}")
        if self.options:
            match = next((o for o in self.options if math.isclose(value, o, rel_tol=1e-9, abs_tol=1e-12)), None)
            if match is None:
                raise ValueError(f"not one of {', '.join(f'{o:g}' for o in self.options)}")
            value = float(match)
        if self.step:
            steps = (value - (self.lo if math.isfinite(self.lo) else 0.0)) / self.step
            if abs(steps - round(steps)) > 1e-6:
                raise ValueError(f"not a multiple of {self.step:g}")
            value = round(value, 6)
        return int(value) if self.kind == "int" else value

    def encode(self, value: Any) -> str:
        """The URL text of a value (numbers without trailing zeros; widths joined by "-")."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "widths":
            return "-".join(str(int(v)) for v in value)
        if self.kind == "point":
            return ",".join(_float_text(v) for v in value)
        if self.kind == "float":
            return _float_text(value)
        return str(value)

    def refusal(self, text: str, reason: str, default: Any) -> str:
        """The note for a refused value: what was asked, why it was refused, and what is used instead."""
        shown = str(text) if len(str(text)) <= 24 else str(text)[:24] + "…"
        instead = self.instead or f"the default {'none' if default is None else self.encode(default)} is used"
        return f"The link's {self.key}={shown} was ignored ({reason}); {instead}."


def _number(text: str) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        raise ValueError("not a number") from None


def _float_text(value: float) -> str:
    return f"{float(value):g}" if abs(value) < 1e5 else repr(float(value))


# --- the settings (sidebar): one field per DataConfig / ModelConfig / TrainConfig attribute ---------------

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 10.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
PENALTIES = (0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
BETAS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
RECON_LOSSES = ("mse", "bce")

SETTINGS: dict[str, Field] = {f.key: f for f in (
    Field("d_name", "choice", "sidebar", "Dataset", "w_dataset", choices=dataset_choices),
    Field("d_seed", "int", "sidebar", lo=0, hi=10**6),
    Field("d_test_size", "float", "sidebar", lo=0.05, hi=0.95),
    Field("d_table", "session", "session", default=""),  # set by the session's upload, never by a link
    Field("m_variant", "choice", "sidebar", "Variant", "w_variant", choices=lambda: tuple(VARIANTS)),
    Field("m_hidden", "widths", "sidebar", "Hidden widths (encoder; the decoder mirrors them)", "w_hidden",
          lo=1, hi=1024, help="Comma-separated layer sizes from the input towards the code, e.g. 32, 16."),
    Field("m_latent", "int", "sidebar", "Latent size (code units)", "w_latent", lo=1, hi=MAX_LATENT),
    Field("m_activation", "choice", "sidebar", "Activation", "w_activation", choices=lambda: tuple(ACTIVATIONS)),
    Field("m_recon_loss", "choice", "sidebar", "Reconstruction loss", "w_recon", choices=RECON_LOSSES,
          help="MSE assumes Gaussian noise around the output; binary cross-entropy assumes each pixel is a "
               "Bernoulli probability, which fits data in [0, 1]."),
    Field("m_noise_std", "float", "sidebar", "Noise std σ", "w_noise", lo=0.0, hi=1.0, step=0.05),
    Field("m_mask_prob", "float", "sidebar", "Mask probability p", "w_mask", lo=0.0, hi=0.9, step=0.05),
    Field("m_sparsity", "float", "sidebar", "Sparsity weight λ", "w_sparsity", lo=0.0, hi=1.0, options=PENALTIES),
    Field("m_sparse_hidden", "bool", "sidebar", "Also penalise the hidden activations", "w_sparse_hidden"),
    Field("m_contractive", "float", "sidebar", "Contractive weight λ", "w_contractive", lo=0.0, hi=1.0,
          options=PENALTIES),
    Field("m_beta", "float", "sidebar", "β (weight of the KL term)", "w_beta", lo=0.0, hi=4.0, options=BETAS),
    Field("t_lr", "float", "sidebar", "Learning rate (Adam)", "w_lr", lo=1e-4, hi=10.0, options=LEARNING_RATES),
    Field("t_epochs", "int", "sidebar", "Epochs", "w_epochs", lo=1, hi=1000),
    Field("t_batch_size", "int", "sidebar", "Batch size", "w_batch", lo=8, hi=2048, options=BATCH_SIZES),
    Field("t_seed", "int", "sidebar", "Seed", "w_seed", lo=0, hi=10**6),
    Field("t_snapshot_every", "int", "sidebar", lo=1, hi=1000),
)}
_CLASS = {"d_": DataConfig, "m_": ModelConfig, "t_": TrainConfig}
assert {k for k in SETTINGS} == {p + f.name for p, c in _CLASS.items() for f in fields(c)}, "a setting lacks a field"

Configs = tuple[DataConfig, ModelConfig, TrainConfig]


def setting(cls: type, attr: str) -> Field:
    """The field of a config attribute (e.g. setting(TrainConfig, "lr") is SETTINGS["t_lr"])."""
    prefix = next(p for p, c in _CLASS.items() if c is cls)
    return SETTINGS[prefix + attr]


def _mismatch(f: Field, value: Any, data_name: str) -> str | None:
    """Why a valid value still does not fit the dataset chosen with it (None when it does)."""
    if f.key == "m_recon_loss" and value == "bce" and not (data_name in DATASETS and DATASETS[data_name].bounded):
        return f"binary cross-entropy needs data in [0, 1], and {data_name}'s is not"
    return None


UPLOAD_LINK_NOTE = ("This link was made on an uploaded table, which stays in the browser session that uploaded it "
                    "and cannot be shared; the default dataset ({default}) is shown instead. Choose \"Your own "
                    "table\" in the sidebar to upload one of yours.")


def read_settings(params: Mapping[str, str]) -> tuple[Configs, list[str]]:
    """The (data, model, training) configs a link's query names, and one sentence per value it sets that
    was refused. Missing and refused values take the defaults of the dataset it names (or of the
    default dataset, if that name is refused, or names an uploaded table: that stays in its own session)."""
    notes: list[str] = []
    name = DataConfig().name
    if "d_name" in params:
        try:
            name = SETTINGS["d_name"].read(params["d_name"])
        except ValueError as exc:
            notes.append(SETTINGS["d_name"].refusal(params["d_name"], str(exc), name))
        if name == UPLOAD:
            notes.append(UPLOAD_LINK_NOTE.format(default=DATASETS[DataConfig().name].title))
            name = DataConfig().name
    cfgs = list(defaults_for(name))
    for i, (prefix, cls) in enumerate(_CLASS.items()):
        changes: dict[str, Any] = {}
        for f in SETTINGS.values():
            if not f.key.startswith(prefix) or f.key == "d_name" or f.key not in params:
                continue
            default = getattr(cfgs[i], f.attr)
            try:
                value = f.read(params[f.key])
                problem = _mismatch(f, value, name)
                if problem:
                    raise ValueError(problem)
                changes[f.attr] = value
            except ValueError as exc:
                notes.append(f.refusal(params[f.key], str(exc), default))
        cfgs[i] = replace(cfgs[i], **changes)
    return (cfgs[0], cfgs[1], cfgs[2]), notes


def settings_query(*configs: Any) -> dict[str, str]:
    """The configs as URL query parameters, keeping only values that differ from the defaults of the
    dataset they name (so a link without m_hidden on gw means gw's own widths)."""
    dataset = next((c.name for c in configs if isinstance(c, DataConfig)), DataConfig().name)
    defaults = dict(zip(_CLASS.values(), defaults_for(dataset)))
    defaults[DataConfig] = DataConfig(name=DataConfig().name)
    out: dict[str, str] = {}
    for cfg in configs:
        for f in fields(cfg):
            value = getattr(cfg, f.name)
            field = setting(type(cfg), f.name)
            if value != getattr(defaults[type(cfg)], f.name) and field.page != "session":
                out[field.key] = field.encode(value)
    return out


def check_settings(cfgs: Configs, base: Configs) -> tuple[Configs, list[str]]:
    """Settings a session's widgets produced, each checked against its field: a value the field refuses
    (a tampered widget: NaN, out of range, not an option) takes `base`'s value, with a note."""
    notes: list[str] = []
    out = []
    for cfg, fallback in zip(cfgs, base):
        changes = {}
        for f in fields(cfg):
            field = setting(type(cfg), f.name)
            value = getattr(cfg, f.name)
            try:
                checked = field.check(value)
                problem = _mismatch(field, checked, cfgs[0].name) if field.key != "d_name" else None
                if problem:
                    raise ValueError(problem)
                if checked != value or type(checked) is not type(value):
                    changes[f.name] = checked
            except ValueError as exc:
                kept = getattr(fallback, f.name)
                changes[f.name] = kept
                notes.append(f"{field.label or field.key}: the value {value!r} was not accepted ({exc}); "
                             f"{field.encode(kept)} is used.")
        out.append(replace(cfg, **changes) if changes else cfg)
    return (out[0], out[1], out[2]), notes


# --- each page's own state, and the lesson's ----------------------------------------------------------------

_A = AnomalyConfig()
CONTAMINATION_STOPS = (0, 10, 20, 30, 40, 50)  # percent of the training rows that are anomalies
# name -> field; the name is what aeviz.ui.lesson and the pages use, the key what the URL shows
PAGE_FIELDS: dict[str, Field] = {
    "preset": Field("a_preset", "choice", "anomaly", "Anomaly preset", choices=(*PRESETS, "custom"),
                    default="obvious"),
    "mu": Field("a_mu", "float", "anomaly", "Shift μ", lo=-2.0, hi=10.0, step=0.1, default=_A.mu),
    "sigma": Field("a_sigma", "float", "anomaly", "Spread σ", lo=0.0, hi=3.0, step=0.1, default=_A.sigma),
    "nf": Field("a_nf", "int", "anomaly", "Features changed", lo=1, hi=1024, default=_A.n_features),
    "k": Field("a_k", "int", "anomaly", "Anomalies", lo=10, hi=200, step=10, default=_A.k),
    "thr_mode": Field("a_mode", "choice", "anomaly", "Threshold", choices=("percentile", "raw"),
                      default="percentile"),
    "pct": Field("a_pct", "float", "anomaly", "Percentile", lo=50.0, hi=99.9, step=0.1, default=95.0),
    # None: the 95th percentile of the page's normal errors
    "raw": Field("a_raw", "float", "anomaly", "Raw threshold", lo=0.0, hi=1e6, default=None,
                 instead="the 95th percentile of the normal errors is used"),
    # a labelled dataset's share of anomalies mixed into the training rows, in percent: one shared run per stop
    "contam": Field("a_contam", "int", "anomaly", "Anomalies mixed into training", "an_contam", lo=0, hi=50,
                    options=CONTAMINATION_STOPS, default=0),
    "grid": Field("l_grid", "int", "latent", "Grid size", "latent_grid_n", lo=2, hi=30, default=15),
    "show": Field("r_show", "choice", "recon", "Samples", choices=SELECTIONS, default="worst"),
    "index": Field("r_index", "int", "recon", "Sample", lo=0, hi=100_000, default=0),
    "rk": Field("r_k", "int", "recon", "Samples shown", lo=1, hi=8, default=4),
    # the latent page: the hole radius (standardised units; None: the model's own r) and the pinned point, the
    # full code z (every latent number, so a point off the map's plane such as a draw from the prior comes back
    # exactly); a z whose length is not the model's latent size is dropped by the page
    "r": Field("l_r", "float", "latent", "Hole radius r", lo=0.0, hi=100.0, default=None,
               instead="the model's own radius is used"),
    "z": Field("l_z", "point", "latent", lo=-1e6, hi=1e6, max_items=MAX_LATENT, max_len=MAX_LATENT * 16,
               default=None, instead="no point is pinned"),
    "speed": Field("speed", "choice", "train", "Speed", "speed", choices=tuple(SPEEDS), default=DEFAULT_SPEED),
}
PRESENT = Field("present", "bool", "all", "Presenter mode", "w_present", default=False)


def page_values(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(each page field's value: the link's where it is valid, else the default; one sentence per
    value the link sets that was refused)."""
    values, problems = {}, []
    for name, f in PAGE_FIELDS.items():
        values[name] = f.default
        if f.key not in params:
            continue
        try:
            values[name] = f.read(params[f.key])
        except ValueError as exc:
            problems.append(f.refusal(params[f.key], str(exc), f.default))
    return values, problems


def page_query(values: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters for page values: only those that differ from their defaults."""
    return {f.key: f.encode(values[name]) for name, f in PAGE_FIELDS.items()
            if name in values and values[name] is not None and values[name] != f.default}


def read_present(text: str | None) -> tuple[bool, str | None]:
    """(presenter mode on?, the note if the link's present= was refused)."""
    if text is None:
        return False, None
    try:
        return PRESENT.read(text), None
    except ValueError as exc:
        return False, PRESENT.refusal(text, str(exc), False)


def fitted(name: str, value: Any, lo: float, hi: float, what: str) -> tuple[Any, str | None]:
    """A page field's value brought within the range the page's data allows ([lo, hi], e.g. the test
    samples or the features there are), with the note saying so when it had to be changed."""
    f = PAGE_FIELDS[name]
    if value is None or lo <= value <= hi:
        return value, None
    kept = min(max(value, lo), hi)
    kept = int(kept) if f.kind == "int" else kept
    return kept, (f"The link's {f.key}={f.encode(value)} is outside {what} ({f.encode(lo)} to {f.encode(hi)}); "
                  f"{f.encode(kept)} is used.")


def every_field() -> list[Field]:
    """Every field of the table: the settings, the page fields and presenter mode."""
    return [*SETTINGS.values(), *PAGE_FIELDS.values(), PRESENT]
