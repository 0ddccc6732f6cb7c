"""Share and export, under the sidebar's settings: the link that reproduces this view, downloads of
the current run (weights, latent codes, loss history), and an upload of saved weights that restores
a model for this session only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Callable, Mapping
from urllib.parse import urlencode

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ..analysis.anomaly import MAX_UPLOAD_MB
from ..config import DataConfig
from ..datasets import UPLOAD, title
from ..fields import settings_query
from ..io import codes_csv, history_csv, restored_run, weights_to_bytes
from ..run import Run
from .cache import dataset
from .export import session_export_buttons
from .lesson import hidden
from .runs import finished_run, session_run
from .state import UPLOADED, Configs, configs
from .text import plain


@dataclass(frozen=True)
class Refusal:
    """A file that could not be used for some settings: which upload it was, the SHA-256 of its bytes
    (the same file uploaded again is known by them), the settings it was read for, and why."""

    file_id: str
    digest: str
    cfgs: Configs
    message: str


@dataclass(frozen=True)
class UploadSlot:
    """One session's uploaded model: the run built from the file, the settings it fits, and which
    file it came from; `widget` numbers the uploader so that forgetting a file also empties it;
    `refused` remembers the last file that could not be used, so that it is not read on every rerun."""

    run: Run | None = None
    cfgs: Configs | None = None
    name: str = ""
    file_id: str = ""
    widget: int = 0
    refused: Refusal | None = None


def share_url(base: str | None, params: Mapping[str, str]) -> str:
    """The page's address with the query parameters that reproduce the view."""
    query = urlencode(dict(params))
    base = (base or "").split("?")[0]
    return f"{base}?{query}" if query else (base or "/")


def _run_getter(cfgs: Configs) -> Callable[[], Run]:
    """The current run, fetched only when a download is clicked (the shared cache trains it at most once)."""
    held = session_run(cfgs)

    def get() -> Run:
        return held if held is not None else finished_run(*cfgs)

    return get


def _file_stem(cfgs: Configs) -> str:
    data_cfg, model_cfg, _ = cfgs
    return f"aeviz_{data_cfg.name}_{model_cfg.variant}_{'-'.join(map(str, model_cfg.hidden))}-{model_cfg.latent}"


def _link(cfgs: Configs, page: StreamlitPage | None) -> None:
    params = {k: st.query_params[k] for k in st.query_params}
    params.update(settings_query(*cfgs))  # the settings as the sidebar holds them right now
    # st.context.url is the browser's address (page path included, query removed); without a browser
    # (AppTest) fall back to the page's path
    url = share_url(st.context.url or f"/{page.url_path if page is not None else ''}", params)
    if cfgs[0].name == UPLOAD:
        st.warning(f"**Your table cannot be shared**: it stays in this browser session. This link opens the "
                   f"default dataset ({title(DataConfig().name)}) with your other settings, and says why.",
                   icon=":material/link_off:")
    else:
        st.caption("**Link to this view**: whoever opens it gets this page, these settings and the same model "
                   "(point at the link for its copy button).")
    st.code(url, language=None, wrap_lines=True)


def _codes(run: Run) -> bytes:
    return codes_csv(run.encode(run.data.X), run.data)  # codes (n, latent) with labels


def _downloads(cfgs: Configs) -> None:
    if not session_export_buttons(cfgs, key="share_export"):  # the run as code: a notebook, a script
        st.caption("Upload a table first (*Your own table*, above): there is no model to download yet.")
        return
    get = _run_getter(cfgs)
    stem = _file_stem(cfgs)
    st.download_button("Download weights (.pt)", lambda: weights_to_bytes(get().model),
                       file_name=f"{stem}.pt", mime="application/octet-stream", on_click="ignore",
                       key="share_weights", width="stretch",
                       help="Load with torch.load(path, weights_only=True) into a model built with the same "
                            "settings, or upload it below.")
    st.download_button("Download latent codes (.csv)", lambda: _codes(get()),
                       file_name=f"{stem}_codes.csv", mime="text/csv", on_click="ignore", key="share_codes",
                       width="stretch", help="One row per sample: z1…zk, its label (colour only) and its split.")
    st.download_button("Download loss history (.csv)", lambda: history_csv(get().history),
                       file_name=f"{stem}_history.csv", mime="text/csv", on_click="ignore", key="share_history",
                       width="stretch", help="One row per epoch: the train and test value of every loss term.")


def _read_upload(file, cfgs: Configs, slot: UploadSlot) -> UploadSlot:
    """The session's slot after reading `file` for `cfgs`: a new run if the file fits them, else the
    same run with the refusal remembered. A file refused before for these settings (the same upload,
    or the same bytes uploaded again) is not read again."""
    old = slot.refused
    if old is not None and old.cfgs == cfgs and old.file_id == file.file_id:
        return slot
    raw = file.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    if old is not None and old.cfgs == cfgs and old.digest == digest:
        return replace(slot, refused=replace(old, file_id=file.file_id))
    data_cfg, model_cfg, train_cfg = cfgs

    try:
        run = restored_run(raw, dataset(data_cfg), model_cfg, train_cfg, data_cfg=data_cfg)
    except ValueError as exc:
        message = str(exc)
    except Exception:  # anything else a file can trip: say so, keep the session as it was
        message = "it could not be loaded as weights for these settings."
    else:
        return UploadSlot(run, cfgs, file.name, file.file_id, slot.widget)
    return replace(slot, refused=Refusal(file.file_id, digest, cfgs, message))


def _upload(cfgs: Configs) -> None:
    slot = st.session_state.get(UPLOADED)
    slot = slot if isinstance(slot, UploadSlot) else UploadSlot()
    file = st.file_uploader("Restore saved weights (.pt) for these settings", key=f"share_upload_{slot.widget}",
                            max_upload_size=MAX_UPLOAD_MB,
                            help="A file from 'Download weights' above, saved with the same dataset, variant, hidden "
                                 f"widths and latent size, at most {MAX_UPLOAD_MB} MB. It replaces the model in your "
                                 "session only.")
    if file is not None and file.file_id != slot.file_id:
        slot = _read_upload(file, cfgs, slot)
        st.session_state[UPLOADED] = slot
        if slot.refused is not None and slot.refused.file_id == file.file_id:
            st.error(plain(f"Could not use {file.name}: {slot.refused.message}"))
    if slot.run is None:
        return
    if slot.cfgs == cfgs:
        st.success(plain(f"The pages now use your uploaded weights ({slot.name}), in this session only."))
    else:
        st.info(plain(f"Your uploaded weights ({slot.name}) belong to other settings; they come back when you "
                      "return to those. These settings use the shared model."))
    if st.button("Forget the uploaded weights", key="share_forget"):
        st.session_state[UPLOADED] = UploadSlot(widget=slot.widget + 1)
        st.rerun()


OPEN_KEY = "share_open"  # the "Download or restore this model" expander: open or closed


def share_sidebar(page: StreamlitPage | None = None) -> None:
    """Draw 'Share and export' under the settings: the link to `page` (the one st.navigation chose),
    the downloads and the weights upload (nothing when the lesson's link hides it: ?hide=share)."""
    if hidden("share"):
        return
    cfgs = configs()
    with st.sidebar:
        st.header("Share and export")
        _link(cfgs, page)
        slot = st.session_state.get(UPLOADED)
        uploaded = getattr(slot, "run", None) is not None
        # built only while open (most visits never open it): the downloads, the upload and its messages
        box = st.expander("Download or restore this model", key=OPEN_KEY, on_change="rerun")
        if box.open:
            with box:
                _downloads(cfgs)
                _upload(cfgs)
        elif uploaded:
            st.caption("Your uploaded weights are loaded in this session (open *Download or restore this model* "
                       "to see for which settings, or to forget them).")
