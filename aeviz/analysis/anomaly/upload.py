"""A user's CSV file of rows to score: checking it (read by aeviz.tables, the one CSV reader; every required
column present, every cell a usable number), each row's reconstruction error, and writing rows back as CSV."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ...tables import (DELIMITERS, FLOAT32_MAX, MAX_UPLOAD_BYTES, MAX_UPLOAD_COLUMNS, MAX_UPLOAD_MB, MAX_UPLOAD_ROWS,
                       cell_problem, fast_row, names, open_table, parse_cell, quote, where)
from ..core import reconstruct

__all__ = ["DELIMITERS", "FLOAT32_MAX", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_COLUMNS", "MAX_UPLOAD_MB", "MAX_UPLOAD_ROWS",
           "CsvResult", "read_csv", "to_csv", "upload_errors"]


@dataclass(frozen=True, eq=False)
class CsvResult:
    """A parsed upload: the feature matrix (rows, features), or a message saying what is wrong."""

    X: np.ndarray | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()


def read_csv(raw: bytes, columns: tuple[str, ...], *, max_bytes: int = MAX_UPLOAD_BYTES,
             max_rows: int = MAX_UPLOAD_ROWS, bounded: bool = False) -> CsvResult:
    """Parse and check an uploaded CSV with a header row naming (at least) `columns`.

    The file is opened by the one reader (aeviz.tables: encoding, separator, header, rows). Never raises:
    a file too large or unreadable, a missing or repeated column, a row with more or fewer fields than the
    header, text, a NaN, an infinite value or one too large for the model gives a CsvResult whose `error`
    names the problem (row, line and column where it can).
    """
    try:
        return _read(raw, columns, max_bytes=max_bytes, max_rows=max_rows, bounded=bounded)
    except ValueError as exc:
        return CsvResult(error=str(exc))


def _read(raw: bytes, columns: tuple[str, ...], *, max_bytes: int, max_rows: int, bounded: bool) -> CsvResult:
    table = open_table(raw, columns, max_bytes=max_bytes)
    header, notes = table.header, list(table.notes)
    counts = Counter(h for h in header if h)
    missing = [c for c in columns if c not in counts]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        lowered = {h.lower(): h for h in header}
        cased = [f"{quote(lowered[c.lower()])} for '{c}'" for c in missing if c.lower() in lowered][:3]
        hint = f" The header has {', '.join(cased)}: names must match exactly, capitals included." if cased else ""
        return CsvResult(error=f"The file is missing {len(missing)} of the {len(columns)} required columns: {shown}. "
                               f"The header must name every feature: {', '.join(columns[:4])}, …{hint}")
    at = [header.index(c) for c in columns]
    values: list[list[float]] = []
    first_bad: dict[str, tuple[int, int, int, str]] = {}
    n_bad: Counter = Counter()
    for r, line, row in table.rows(max_rows):
        parsed = fast_row(row, at)
        if parsed is None:
            parsed = []
            for c, i in enumerate(at):
                cell = row[i].strip()
                kind, v = parse_cell(cell)
                if kind:
                    n_bad[kind] += 1
                    first_bad.setdefault(kind, (r, c, line, cell))
                parsed.append(v)
        values.append(parsed)
    if not values:
        return CsvResult(error="The file has a header but no rows of data.")
    for kind in ("text", "missing", "infinite", "huge"):
        if kind in first_bad:
            r, c, line, cell = first_bad[kind]
            more = f" ({n_bad[kind]} cells in all)" if n_bad[kind] > 1 else ""
            return CsvResult(error=f"Every value must be a finite number, but {where(r, columns[c], line)} holds "
                                   f"{cell_problem(kind, cell, table.delimiter)}{more}.")
    X = np.asarray(values, dtype=np.float64)  # (rows, features)
    extra = [h for h in header if h and h not in columns]
    if extra:
        notes.append(f"Ignored {len(extra)} extra column(s): {names(extra)}.")
    if bounded and (X.min() < 0 or X.max() > 1):
        notes.append("Some pixels lie outside [0, 1]; this model was trained on pixels scaled to [0, 1] "
                     "(divide 0–16 values by 16).")
    return CsvResult(X=X.astype(np.float32), notes=tuple(notes))


def upload_errors(model, X: np.ndarray) -> np.ndarray:
    """Each uploaded row's reconstruction error (n,), computed in float64 so that large values do not
    overflow; ValueError naming the first row whose reconstruction comes out infinite or NaN."""
    recon = reconstruct(model, X).astype(np.float64)  # (n, features)
    errors = ((recon - np.asarray(X, dtype=np.float64)) ** 2).mean(axis=1)
    bad = np.flatnonzero(~np.isfinite(errors))
    if len(bad):
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise ValueError(f"The model cannot reconstruct row {bad[0] + 1}{more}: "
                         "its values are so large that the network's numbers overflow. Check that the file uses the "
                         "dataset's units.")
    return errors


def to_csv(X: np.ndarray, columns: tuple[str, ...]) -> bytes:
    """Rows (n, features) as CSV bytes with a header, e.g. as an example file to download."""
    lines = [",".join(columns)] + [",".join(f"{v:.5g}" for v in row) for row in np.asarray(X)]
    return ("\n".join(lines) + "\n").encode()
