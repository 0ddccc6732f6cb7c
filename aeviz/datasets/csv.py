"""A user's own table as a dataset to train on: read by the one CSV reader (aeviz.tables), checked for what
training needs, split (seeded) and standardised with its own training rows' statistics.

What training needs beyond what scoring checks:
- at most MAX_TRAIN_ROWS rows and MAX_TRAIN_CELLS values (rows × feature columns), within the upload limit;
- columns that cannot teach anything are dropped, each with a note: empty ones, those more than half missing,
  and constant ones (the same value in every row);
- the remaining missing cells are filled with their column's mean over the training rows (a note says how
  many), and a row with every feature missing is dropped;
- at least MIN_TRAIN_ROWS rows and MIN_FEATURES feature columns;
- an optional label column, whose values may be text: colour only, never training; some of its values can
  be named anomalies.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np

from .base import Dataset, _split, _standardise

from ..tables import (DECIMAL_COMMA, MAX_UPLOAD_BYTES, MAX_UPLOAD_COLUMNS, cell_problem, fast_body, fast_row, names, open_table, parse_cell,
                     quote, where)

MAX_TRAIN_ROWS = 50_000
MAX_TRAIN_CELLS = 1_000_000  # rows × feature columns of a table to train on
MIN_TRAIN_ROWS = 20  # so that a fifth (4 rows) can be held out to test on
MIN_FEATURES = 2
MAX_LABELS = 20  # a label column names a few groups to colour, not a number per row
MAX_MISSING_SHARE = 0.5  # a column missing in more than this share of the rows is dropped, not filled
MISSING_LABEL = "(missing)"


@dataclass(frozen=True, eq=False)
class TrainingTable:
    """A table to train on, read and checked: the raw values of the kept feature columns (NaN where a cell
    was missing), their names, each row's label (text) if a label column was chosen, and notes."""

    X: np.ndarray  # (rows, features) float64, NaN where missing
    feature_names: tuple[str, ...]
    labels: tuple[str, ...] | None  # one per row
    label_column: str | None
    notes: tuple[str, ...]

    @property
    def label_names(self) -> tuple[str, ...]:
        """The distinct labels in order: numerically when every label is a number, else alphabetically;
        a missing label last."""
        if self.labels is None:
            return ("all rows",)
        distinct = set(self.labels) - {MISSING_LABEL}
        try:
            ordered = sorted(distinct, key=float)
        except ValueError:
            ordered = sorted(distinct)
        return tuple(ordered) + ((MISSING_LABEL,) if MISSING_LABEL in self.labels else ())

    def y(self) -> np.ndarray:
        """Each row's label as an index into `label_names` (n,) int64."""
        if self.labels is None:
            return np.zeros(len(self.X), dtype=np.int64)
        index = {name: i for i, name in enumerate(self.label_names)}
        return np.fromiter((index[v] for v in self.labels), dtype=np.int64, count=len(self.labels))


def _column_names(header: list[str]) -> tuple[list[str], list[str]]:
    """Every column's name (an unnamed one becomes 'column N') and a note about the unnamed ones."""
    unnamed = [i for i, h in enumerate(header) if not h]
    named = [h or f"column {i + 1}" for i, h in enumerate(header)]
    taken = set(header)
    for i in unnamed:
        while named[i] in taken:
            named[i] += "'"
        taken.add(named[i])
    note = [f"{len(unnamed)} column(s) had no name in the header and are called {names(named[i] for i in unnamed)}."] \
        if unnamed else []
    return named, note


def _looks_like_data(header: list[str]) -> bool:
    """True when the header holds numbers (a data row) rather than names; 0, 1, 2, ... (or 1, 2, 3, ...)
    count as names, as pandas writes them."""
    values = []
    for h in header:
        kind, v = parse_cell(h)
        if kind != "" or not h:
            return False
        values.append(v)
    whole = all(float(v).is_integer() for v in values)
    first = values[0] if values else 0
    sequence = whole and first in (0, 1) and values == [first + i for i in range(len(values))]
    return not sequence


def read_training_table(data: bytes, *, label_column: str | None = None) -> TrainingTable:
    """Read and check a CSV to train on (see the module docstring); ValueError with the user's message."""
    table = open_table(data, (label_column,) if label_column else (), max_bytes=MAX_UPLOAD_BYTES,
                       max_columns=MAX_UPLOAD_COLUMNS)
    header, notes = table.header, list(table.notes)
    if _looks_like_data(header):
        raise ValueError(f"The first line holds numbers ({quote(','.join(header))}), not column names: add a "
                         "header row that names every column, then upload the file again.")
    cols, unnamed = _column_names(header)
    notes += unnamed
    if label_column is not None:
        label_column = str(label_column).strip()
        if label_column not in header:
            lowered = {h.lower(): h for h in header}
            hint = (f" The header has {quote(lowered[label_column.lower()])}: names must match exactly, capitals "
                    "included." if label_column.lower() in lowered else "")
            raise ValueError(f"The label column {quote(label_column)} is not in the file's header, whose columns "
                             f"are {names(cols)}.{hint}")
    lab = header.index(label_column) if label_column is not None else None
    feat = [i for i in range(len(cols)) if i != lab]
    if len(feat) < MIN_FEATURES:
        if lab is not None:
            only = "the only column" if not feat else f"one of only two columns (with {quote(cols[feat[0]])})"
            raise ValueError(f"The label column {quote(label_column)} is {only}: there is too little to train on. "
                             f"A table needs at least {MIN_FEATURES} columns of numbers besides the label.")
        raise ValueError(f"The file has a single column ({quote(cols[0])}): no comma, semicolon, tab or | separates "
                         f"columns. A table to train on needs at least {MIN_FEATURES} columns of numbers, one per "
                         "feature, in a CSV (comma-separated values) file.")
    k = len(feat)
    max_rows = min(MAX_TRAIN_ROWS, MAX_TRAIN_CELLS // k)
    too_many = (f"The table is too large to train on here: more than {max_rows:,} rows of {k:,} feature columns; "
                f"the limit is {MAX_TRAIN_ROWS:,} rows and {MAX_TRAIN_CELLS:,} values (rows × columns). "
                "Upload fewer rows or columns.")
    values = array("d")
    labels: list[str] = []
    n_missing = np.zeros(k, dtype=np.int64)
    first_bad: dict[tuple[str, int], tuple[int, int, str]] = {}  # (problem, column) -> (row, line, cell)
    n_bad: dict[str, int] = {}
    n_text = np.zeros(k, dtype=np.int64)
    n_rows = 0
    fast = fast_body(table, feat, lab, max_rows)  # the common, clean table at C speed (None: read row by row)
    rows = table.rows(max_rows, too_many) if fast is None else ()
    if fast is not None:
        X_fast, labels_fast = fast
        n_rows = len(X_fast)
        if labels_fast is not None:
            labels = [v or MISSING_LABEL for v in labels_fast]
    for r, line, row in rows:
        parsed = fast_row(row, feat)
        if parsed is None:
            parsed = []
            for c, i in enumerate(feat):
                cell = row[i].strip()
                kind, v = parse_cell(cell)
                if kind == "missing":
                    n_missing[c] += 1
                elif kind:
                    n_bad[kind] = n_bad.get(kind, 0) + 1
                    n_text[c] += kind == "text"
                    first_bad.setdefault((kind, c), (r, line, cell))
                parsed.append(v)
        values.extend(parsed)
        if lab is not None:
            labels.append(row[lab].strip() or MISSING_LABEL)
        n_rows += 1
    if not n_rows:
        raise ValueError("The file has a header but no rows of data.")
    if n_rows < MIN_TRAIN_ROWS:
        raise ValueError(_too_few_rows(n_rows))
    _refuse_bad_cells(first_bad, n_bad, n_text, n_rows - n_missing, [cols[i] for i in feat], table.delimiter,
                      label_column)
    X = (X_fast if fast is not None  # (rows, features), NaN where missing
         else np.frombuffer(values, dtype=np.float64).reshape(n_rows, k))
    names_ = [cols[i] for i in feat]
    X, names_, labels, dropped = _drop_useless(X, names_, labels if lab is not None else None, notes)
    if labels is not None and len(set(labels)) > MAX_LABELS:
        raise ValueError(f"The label column {quote(label_column)} has {len(set(labels)):,} different values; a label "
                         f"column names a few groups to colour the points by (at most {MAX_LABELS}). Choose a column "
                         "of group names, or none.")
    if X.shape[1] < MIN_FEATURES:
        raise ValueError(_too_few_columns(X.shape[1], names_, dropped))
    if X.shape[0] < MIN_TRAIN_ROWS:
        raise ValueError(_too_few_rows(X.shape[0], " with any feature present"))
    return TrainingTable(X=X, feature_names=tuple(names_), labels=tuple(labels) if labels is not None else None,
                         label_column=label_column, notes=tuple(notes))


def _too_few_rows(n: int, which: str = "") -> str:
    return (f"The table has {n} row{'s' if n != 1 else ''} of data{which}; training needs at least {MIN_TRAIN_ROWS} "
            "(a fifth of them are held out to test the model on).")


def _refuse_bad_cells(first_bad, n_bad, n_text, n_present, feature_names, delimiter, label_column) -> None:
    """Raise for the first text, infinite or too-large cell; a column of text only is named as such."""
    for kind in ("text", "infinite", "huge"):
        hits = sorted((pos, c) for (k, c), pos in first_bad.items() if k == kind)
        if not hits:
            continue
        (r, line, cell), c = hits[0]
        col = feature_names[c]
        if kind == "text" and n_text[c] == n_present[c] and not (delimiter != "," and DECIMAL_COMMA.fullmatch(cell)):
            extra = [feature_names[j] for j in range(len(feature_names)) if j != c and n_text[j] == n_present[j]
                     and n_text[j] > 0]
            also = f" (so do {names(extra)})" if extra else ""
            label_hint = ("Choose it as the label column (colour only, never training), or remove it"
                          if label_column is None else "Remove it (or choose it as the label column instead)")
            raise ValueError(f"The column {quote(col)} holds text, not numbers{also}: row {r + 1} (line {line}) holds "
                             f"{quote(cell)}. {label_hint}: every column the model trains on must hold numbers.")
        more = f" ({n_bad[kind]} cells in all)" if n_bad[kind] > 1 else ""
        raise ValueError(f"Every value must be a finite number, but {where(r, col, line)} holds "
                         f"{cell_problem(kind, cell, delimiter)}{more}.")


def _drop_useless(X: np.ndarray, feature_names: list[str], labels: list[str] | None, notes: list[str]):
    """Drop rows with every feature missing, then empty, mostly missing and constant columns, noting each."""
    present = ~np.isnan(X)  # (rows, features)
    blank = ~present.any(axis=1)
    if blank.any() and not blank.all():
        notes.append(f"Dropped {int(blank.sum())} row(s) with every feature missing.")
        X, present = X[~blank], present[~blank]
        labels = [v for v, b in zip(labels, blank) if not b] if labels is not None else None
    n = len(X)
    count = present.sum(axis=0)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(np.where(present, X, np.inf), axis=0), np.nanmax(np.where(present, X, -np.inf), axis=0)
    reasons = {
        "empty": count == 0,
        "mostly empty": (count > 0) & (count < (1 - MAX_MISSING_SHARE) * n),
        "constant": (count >= (1 - MAX_MISSING_SHARE) * n) & (count > 0) & (lo == hi),
    }
    texts = {"empty": "are empty", "mostly empty": f"are more than {MAX_MISSING_SHARE:.0%} missing",
             "constant": "hold the same value in every row (nothing to learn)"}
    dropped: dict[str, list[str]] = {}
    for why, mask in reasons.items():
        if mask.any():
            dropped[why] = [feature_names[j] for j in np.flatnonzero(mask)]
            notes.append(f"Dropped {int(mask.sum())} column(s) that {texts[why]}: {names(dropped[why])}.")
    keep = ~(reasons["empty"] | reasons["mostly empty"] | reasons["constant"])
    X = X[:, keep]
    kept = [f for f, k in zip(feature_names, keep) if k]
    missing = int(np.isnan(X).sum())
    if missing:
        cols = [kept[j] for j in np.flatnonzero(np.isnan(X).any(axis=0))]
        notes.append(f"Filled {missing:,} missing cell(s) in {len(cols)} column(s) ({names(cols)}) with each column's "
                     "mean over the training rows.")
    return X, kept, labels, dropped


def _too_few_columns(k: int, kept: list[str], dropped: dict[str, list[str]]) -> str:
    """The message for a table left with fewer than MIN_FEATURES usable columns."""
    gone = sum(len(v) for v in dropped.values())
    why = "; ".join(f"{len(v)} {w}" for w, v in dropped.items())
    if k == 0 and set(dropped) == {"constant"}:
        return ("Every column is constant: all rows hold the same values, so there is nothing to learn. Upload a "
                "table whose rows differ.")
    if k == 0 and set(dropped) <= {"empty", "mostly empty"}:
        return "Every column is empty or mostly missing: there are no values to train on."
    left = f"only {quote(kept[0])} is left" if k == 1 else "none is left"
    return (f"A table to train on needs at least {MIN_FEATURES} usable columns of numbers, but {left}"
            + (f" ({gone} dropped: {why})" if gone else "") + ".")


def _anomaly_indices(table: TrainingTable, anomaly_labels) -> tuple[int, ...]:
    """The indices into label_names of the labels named anomalies; ValueError for one the column lacks."""
    if anomaly_labels is None or len(anomaly_labels) == 0:
        return ()
    if table.labels is None:
        raise ValueError("Anomaly labels need a label column: choose which column holds the labels first.")
    if isinstance(anomaly_labels, (str, int, float)):
        anomaly_labels = [anomaly_labels]
    label_names = table.label_names
    wanted = []
    for value in anomaly_labels:
        text = str(value).strip()
        if text not in label_names:
            matches = [n for n in label_names if _same_number(n, text)]
            if not matches:
                raise ValueError(f"The label column {quote(table.label_column)} has no value {quote(text)}; its values "
                                 f"are {names(label_names, 8)}.")
            text = matches[0]
        wanted.append(label_names.index(text))
    chosen = tuple(sorted(set(wanted)))
    normal = sum(1 for v in table.labels if label_names.index(v) not in chosen) if table.labels else 0
    if normal < MIN_TRAIN_ROWS:
        raise ValueError(f"Only {normal} row(s) are not anomalies; training on the normal rows needs at least "
                         f"{MIN_TRAIN_ROWS}. Name fewer label values as anomalies.")
    return chosen


def _same_number(a: str, b: str) -> bool:
    try:
        return math.isclose(float(a), float(b))
    except ValueError:
        return False


def stratify(y: np.ndarray, test_size: float) -> bool:
    """True when the split can keep every label's share (each label has two rows and both splits room for
    every label); the export repeats this choice."""
    counts = np.bincount(y)
    counts = counts[counts > 0]
    n_test = math.ceil(test_size * len(y))
    return len(counts) > 1 and counts.min() >= 2 and len(counts) <= min(n_test, len(y) - n_test)


def fill_missing(X: np.ndarray, train: np.ndarray) -> np.ndarray:
    """X (rows, features) with each missing cell set to its column's mean over the training rows."""
    if not np.isnan(X).any():
        return X
    means = np.nanmean(X[train], axis=0)  # (features,); every kept column has values in the training rows
    return np.where(np.isnan(X), means, X)


def from_csv(data: bytes, *, label_column: str | None = None, anomaly_labels=None, test_size: float = 0.2,
             random_state=None) -> Dataset:
    """A user's CSV table as a Dataset: read and checked (read_training_table), split (seeded, stratified by
    label when it can be), missing cells filled and every column standardised with the training rows'
    statistics. ValueError with the user's message on bad input."""
    table = read_training_table(data, label_column=label_column)
    anomalies = _anomaly_indices(table, anomaly_labels)
    y = table.y()
    train, test = _split(y, test_size, random_state, stratify=stratify(y, test_size))
    X, mean, scale = _standardise(fill_missing(table.X, train), train)
    n, k = X.shape
    what = f", labels from {quote(label_column)} (colour only)" if label_column else ""
    return Dataset(
        name="upload",
        X=X,
        y=y,
        label_names=table.label_names,
        feature_names=table.feature_names,
        kind="tabular",
        train_idx=train,
        test_idx=test,
        feature_mean=mean,
        feature_scale=scale,
        description=f"Your table: {n:,} rows, {k} feature columns{what}, standardised with the training rows' "
                    "statistics.",
        notes=table.notes,
        anomaly_labels=anomalies,
    )
