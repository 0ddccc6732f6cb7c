"""Train on your own table: the uploader, the label column and the label values that are anomalies, and what
was read (its notes, or the one message that says what to change). The table becomes a Dataset for this
session alone: it is kept under the session's own key, never in a server-wide cache, and goes with the session.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from ..datasets import Dataset, from_csv
from ..tables import MAX_UPLOAD_MB, open_table

TABLE = "aeviz_table"  # this session's uploaded table: {reading's key: TableUpload} (to move into ui/state.py)
NO_LABEL = "(none)"

INTRO = ("Upload a CSV of numeric columns — a lab's measurements, a sensor log — and the autoencoder trains on "
         "it. Each column is standardised with the training rows' mean and spread, so no unit dominates. A label "
         "column only colours the points (it never trains); name some of its values anomalies and the Anomaly "
         "page scores them.")
TRY_THIS = ("**Try this:** upload the same table with a column that holds one value in every row: it is dropped "
            "with a note, since a constant teaches the model nothing.")


@dataclass(frozen=True, eq=False)
class TableUpload:
    """One reading of a session's uploaded table: its bytes, the choices it was read with, and the Dataset or
    the message saying what is wrong."""

    name: str
    raw: bytes
    label_column: str | None
    anomaly_labels: tuple[str, ...]
    dataset: Dataset | None
    error: str | None


def read_table(raw: bytes, name: str, label_column: str | None, anomaly_labels: tuple[str, ...], seed: int,
               test_size: float) -> TableUpload:
    """The upload read by from_csv with these choices, remembered in the session under its bytes' digest and
    the choices, so a rerun does not read it again."""
    key = (hashlib.sha256(raw).hexdigest(), label_column, anomaly_labels, seed, test_size)
    kept = st.session_state.get(TABLE, {})
    if key not in kept:
        try:
            data, error = from_csv(raw, label_column=label_column, anomaly_labels=list(anomaly_labels) or None,
                                   random_state=seed, test_size=test_size), None
        except ValueError as exc:
            data, error = None, str(exc)
        # keep the plain reading and this label's (the anomaly choices' label names), drop every other
        base = {k: v for k, v in kept.items() if k[0] == key[0] and k[2] == () and k[1] in (None, label_column)}
        kept = {**base, key: TableUpload(name, raw, label_column, anomaly_labels, data, error)}
        st.session_state[TABLE] = kept
    return kept[key]


def table_upload_section(seed: int = 42, test_size: float = 0.2) -> TableUpload | None:
    """The "train on your own table" section: returns this session's reading of its upload, or None."""
    st.markdown(INTRO)
    file = st.file_uploader("Your table (CSV)", type=["csv", "tsv", "txt"], key="tbl_file",
                            max_upload_size=MAX_UPLOAD_MB,
                            help=f"A header row naming the columns, then one row per sample; at most {MAX_UPLOAD_MB} MB.")
    if file is None:
        st.session_state.pop(TABLE, None)  # a removed file leaves nothing behind
        st.markdown(TRY_THIS)
        return None
    raw = file.getvalue()
    try:
        columns = [h for h in open_table(raw).header if h]
    except ValueError:
        columns = []  # from_csv below gives the message
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
    st.markdown(TRY_THIS)
    return upload
