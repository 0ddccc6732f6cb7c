"""Train on your own table: the uploader, the label column and the label values that are anomalies, and what
was read (its notes, or the one message that says what to change). The table becomes a Dataset for this
session alone: it is kept under the session's own key (state.TABLE), never in a server-wide cache, and goes
with the session. Its DataConfig (name "upload") carries `table`, a key hashed from the session's id and the
table's bytes and choices, so everything keyed by the settings is this session's alone.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..config import DataConfig
from ..datasets import UPLOAD, Dataset, from_csv
from ..tables import MAX_UPLOAD_MB, open_table
from .state import TABLE, TABLE_COLUMNS as COLUMNS, TABLE_RUNS

NO_LABEL = "(none)"
# one table is read at a time on this server: a clean table's rows go through pandas' C reader (Python's lock let
# go, about 0.1 s per 5 MB), others row by row in pure Python; ten students who upload at once take turns, so
# the readings' memory and CPU never add up on the class's server
_READING = threading.Lock()
FILE_KEY = "tbl_file"
NO_TABLE = ("Upload a table first: choose a CSV file under *Your own table* in the sidebar (one header row "
            "naming the columns, then one row per sample). Until then this page has nothing to show.")
TABLE_REFUSED = ("Your table cannot be trained on as it is: the message under *Your own table* in the sidebar says "
                 "what to change (a text column, for instance, can be chosen as the label column).")

INTRO = ("Upload a CSV of numeric columns — a lab's measurements, a sensor log — and the autoencoder trains on "
         "it. Each column is standardised with the training rows' mean and spread, so no unit dominates. A label "
         "column only colours the points (it never trains); name some of its values anomalies and the Anomaly "
         "page scores them.")
TRY_THIS = ("**Try this:** upload the same table with a column that holds one value in every row: it is dropped "
            "with a note, since a constant teaches the model nothing.")


@dataclass(frozen=True, eq=False)
class TableUpload:
    """One reading of a session's uploaded table: its bytes, the choices it was read with, its key (`table`,
    hashed from the session's id, the bytes and the choices; what DataConfig.table holds), and the Dataset or
    the message saying what is wrong."""

    name: str
    raw: bytes
    label_column: str | None
    anomaly_labels: tuple[str, ...]
    dataset: Dataset | None
    error: str | None
    table: str = ""
    seed: int = 42
    test_size: float = 0.2

    def data_config(self) -> DataConfig:
        """The DataConfig that names this reading."""
        return DataConfig(name=UPLOAD, seed=self.seed, test_size=self.test_size, table=self.table)


def _session() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def table_key(raw: bytes, label_column: str | None, anomaly_labels: tuple[str, ...]) -> str:
    """16 hex digits naming this session's table read with these choices (another session's upload of the
    same bytes gets another key, so nothing keyed by it is ever shared)."""
    text = repr((_session(), hashlib.sha256(raw).hexdigest(), label_column, anomaly_labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_table(raw: bytes, name: str, label_column: str | None, anomaly_labels: tuple[str, ...], seed: int,
               test_size: float) -> TableUpload:
    """The upload read by from_csv with these choices, remembered in the session under its bytes' digest and
    the choices, so a rerun does not read it again."""
    key = (hashlib.sha256(raw).hexdigest(), label_column, anomaly_labels, seed, test_size)
    kept = st.session_state.get(TABLE, {})
    if key not in kept:
        try:
            with st.spinner(f"Reading {name}…"), _READING:
                data, error = from_csv(raw, label_column=label_column, anomaly_labels=list(anomaly_labels) or None,
                                       random_state=seed, test_size=test_size), None
        except ValueError as exc:
            data, error = None, str(exc)
        # keep the plain reading and this label's (the anomaly choices' label names), drop every other
        base = {k: v for k, v in kept.items() if k[0] == key[0] and k[2] == () and k[1] in (None, label_column)}
        upload = TableUpload(name, raw, label_column, anomaly_labels, data, error,
                             table_key(raw, label_column, anomaly_labels), seed, test_size)
        kept = {**base, key: upload}
        st.session_state[TABLE] = kept
    return kept[key]


def session_dataset(cfg: DataConfig) -> Dataset | None:
    """This session's uploaded table that `cfg` names (its key, seed and split), read again for another seed or
    split if need be; None if the session holds no such table."""
    kept = st.session_state.get(TABLE, {})
    for upload in kept.values():
        if upload.table == cfg.table and upload.dataset is not None:
            if (upload.seed, upload.test_size) != (cfg.seed, cfg.test_size):
                upload = read_table(upload.raw, upload.name, upload.label_column, upload.anomaly_labels,
                                    cfg.seed, cfg.test_size)
            return upload.dataset
    return None


def current_upload(cfg: DataConfig) -> TableUpload | None:
    """The reading that `cfg` names (for its bytes and label column: the export), or None."""
    return next((u for u in st.session_state.get(TABLE, {}).values() if cfg.table and u.table == cfg.table), None)


def has_file() -> bool:
    """True if this session has uploaded a table (read or refused)."""
    return bool(st.session_state.get(TABLE))


def forget() -> None:
    """Drop this session's table and every run trained on it."""
    for key in (TABLE, TABLE_RUNS, COLUMNS):
        st.session_state.pop(key, None)


def _columns(file_id: str, raw: bytes) -> list[str]:
    """The table's column names (read once per uploaded file: every rerun of every page draws this section)."""
    kept = st.session_state.get(COLUMNS)
    if kept is None or kept[0] != file_id:
        try:
            names = [h for h in open_table(raw, header_only=True).header if h]  # the rows: from_csv
        except ValueError:
            names = []  # from_csv gives the message
        kept = (file_id, names)
        st.session_state[COLUMNS] = kept
    return kept[1]


def table_upload_section(seed: int = 42, test_size: float = 0.2, *, compact: bool = False) -> TableUpload | None:
    """The "train on your own table" section: returns this session's reading of its upload, or None
    (`compact`: its sentences and prompt as captions, for the sidebar)."""
    text = st.caption if compact else st.markdown
    text(INTRO)
    file = st.file_uploader("Your table (CSV)", type=["csv", "tsv", "txt"], key=FILE_KEY,
                            max_upload_size=MAX_UPLOAD_MB,
                            help=f"A header row naming the columns, then one row per sample; at most {MAX_UPLOAD_MB} MB.")
    if file is None:
        forget()  # a removed file leaves nothing behind
        text(TRY_THIS)
        return None
    raw = file.getvalue()
    columns = _columns(file.file_id, raw)
    label = st.selectbox("Label column (colour only, never training)", [NO_LABEL, *columns], key="tbl_label")
    label_column = None if label == NO_LABEL else label
    upload = read_table(raw, file.name, label_column, (), seed, test_size)
    if label_column and upload.dataset is not None:
        chosen = st.multiselect("Label values that are anomalies", list(upload.dataset.label_names),
                                key="tbl_anomalies")
        if chosen:
            upload = read_table(raw, file.name, label_column, tuple(chosen), seed, test_size)
    if upload.error:
        st.error(f"Could not train on {file.name}: {upload.error}")
    else:
        d = upload.dataset
        st.success(f"{file.name}: {len(d.X):,} rows, {d.n_features} feature columns "
                   f"({len(d.train_idx):,} to train on, {len(d.test_idx):,} held out).")
        for note in d.notes:
            st.info(note)
    text(TRY_THIS)
    return upload
