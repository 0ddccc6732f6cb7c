"""The Anomaly page's "score your own data" section: an example CSV to download, the uploader, and each
uploaded row's error and flag (the file read once per session; a bad file gets one clear message)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..analysis import anomaly
from ..datasets import Dataset
from .text import plain

_PARSED = "an_upload_parsed"  # ((file id, columns, bounded), CsvResult): the uploaded CSV, read once


def upload_section(data: Dataset, model, thr: float, scn: anomaly.Scenario) -> np.ndarray | None:
    """The "score your own data" section: returns the uploaded rows' errors, or None."""
    st.subheader("Score your own data")
    st.markdown(f"Upload a CSV whose header names the {data.n_features} columns of **{data.name}** "
                f"({', '.join(data.feature_names[:3])}, …) with one row per sample, in the same units as the "
                "dataset. Each row gets its error, its flag and a tick on the histogram above.")
    example = np.concatenate([scn.X_normal[:5], scn.X_anomalous[:5]])
    st.download_button("Download an example CSV (5 normal rows, then 5 anomalies)",
                       anomaly.to_csv(example, data.feature_names), file_name=f"{data.name}_example.csv",
                       mime="text/csv", key="an_example")
    file = st.file_uploader("Your CSV file", type=["csv", "tsv", "txt"], key="an_upload",
                            max_upload_size=anomaly.MAX_UPLOAD_MB,
                            help=f"At most {anomaly.MAX_UPLOAD_MB} MB and {anomaly.MAX_UPLOAD_ROWS:,} rows, in UTF-8 "
                                 "(or UTF-16 with a byte-order mark), separated by commas, semicolons, tabs or |.")
    if file is None:
        return None
    return score_upload(file.getvalue(), data, model, thr, scn, file_id=file.file_id)


def _parsed(raw: bytes, data: Dataset, file_id: str | None) -> anomaly.CsvResult:
    """read_csv's result, remembered per session for the uploaded file (moving the threshold reruns
    this panel; the file is read once)."""
    key = (file_id, data.feature_names, data.bounded)
    memo = st.session_state.get(_PARSED)
    if file_id is not None and memo is not None and memo[0] == key:
        return memo[1]
    result = anomaly.read_csv(raw, data.feature_names, bounded=data.bounded)
    if file_id is not None:
        st.session_state[_PARSED] = (key, result)
    return result


def score_upload(raw: bytes, data: Dataset, model, thr: float, scn: anomaly.Scenario, *,
                 file_id: str | None = None) -> np.ndarray | None:
    """Validate uploaded bytes and show each row's error and flag; a bad file gets one clear st.error.
    With the uploader's `file_id`, the file is parsed once per session, not on every rerun."""
    result = _parsed(raw, data, file_id)
    if result.error:  # it quotes the file's column names and cells: shown as text, never Markdown
        st.error(plain(f"Could not score this file. {result.error}"))
        return None
    for note in result.notes:
        st.info(plain(note))
    try:
        errors = anomaly.upload_errors(model, result.X)  # (rows,) float64
    except ValueError as exc:
        st.error(plain(f"Could not score this file. {exc}"))
        return None
    flagged = errors > thr
    pct = np.searchsorted(np.sort(scn.normal), errors, side="right") / len(scn.normal) * 100
    st.markdown(f"**{int(flagged.sum())} of {len(errors)}** uploaded rows are above the threshold.")
    st.dataframe({"row": np.arange(1, len(errors) + 1), "error": errors, "flagged": flagged,
                  "percentile among normal errors": pct}, hide_index=True, key="an_upload_table",
                 column_config={"error": st.column_config.NumberColumn(format="%.4g"),
                                "percentile among normal errors": st.column_config.NumberColumn(format="%.1f")})
    return errors
