"""A user's CSV file of rows to score: reading and checking it (encoding, separator, header, every cell),
each row's reconstruction error, and writing rows back as CSV."""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..core import reconstruct

MAX_UPLOAD_MB = 5  # every uploader's limit; .streamlit/config.toml's server.maxUploadSize says the same (a test checks)
# the browser counts a megabyte as 10^6 or 2^20 bytes depending on the system: accept whatever it let through
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_COLUMNS = 1_000


@dataclass(frozen=True, eq=False)
class CsvResult:
    """A parsed upload: the feature matrix (rows, features), or a message saying what is wrong."""

    X: np.ndarray | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()


_MISSING = {"", "nan", "na", "n/a", "null", "none"}
_INFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# the separators a spreadsheet writes, and their names in messages
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# (byte-order mark, codec, name): UTF-32's marks first, since UTF-16's little-endian mark begins UTF-32's
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the model computes in float32; larger values become infinite


def _where(row: int, col: str, line: int) -> str:
    return f"row {row + 1} (line {line} of the file), column {_quote(col)}"


def _quote(text: str, limit: int = 40) -> str:
    """A user's text (a column name, a cell) in quotes, cut to `limit` characters."""
    text = str(text)
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def _names(items, limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(_quote(c) for c in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), or UTF-16/UTF-32 with one; raises
    ValueError naming the encoding otherwise."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise ValueError(f"The file starts with the byte-order mark of {name} text but is not valid {name} "
                                 f"(byte {exc.start + 1} cannot be read). Save it again as CSV in UTF-8.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _looks_utf16(raw):
            raise ValueError("The file looks like UTF-16 text without a byte-order mark, which cannot be read "
                             "safely. Save it again as CSV in UTF-8.") from None
        raise ValueError(f"The file is not UTF-8 text: byte {exc.start + 1} (0x{raw[exc.start]:02x}) is not valid "
                         "UTF-8; it may be Latin-1 or Windows-1252, or not text at all. Save it again as CSV in "
                         "UTF-8.") from None
    if "\x00" in text:
        if _looks_utf16(raw):
            raise ValueError("The file looks like UTF-16 text without a byte-order mark, which cannot be read "
                             "safely. Save it again as CSV in UTF-8.")
        raise ValueError("The file contains NUL bytes, so it is not a text file. Save it as CSV in UTF-8.")
    return text


def _looks_utf16(raw: bytes) -> bool:
    """Plain-ASCII text in UTF-16 has a zero in every other byte."""
    half = len(raw) // 2
    return half > 0 and max(raw[0::2].count(0), raw[1::2].count(0)) > 0.4 * half


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return [line]


def _delimiter(header: str, columns: tuple[str, ...]) -> str:
    """The separator that splits the header into the most required column names (then into the most
    fields); "" when no candidate splits it at all."""
    wanted = set(columns)

    def score(d: str) -> tuple[int, int]:
        fields = [f.strip() for f in _split(header, d)]
        return sum(f in wanted for f in fields), len(fields)

    best = max(DELIMITERS, key=score)  # ties go to the first: the comma
    return best if score(best)[1] > 1 else ""


def read_csv(raw: bytes, columns: tuple[str, ...], *, max_bytes: int = MAX_UPLOAD_BYTES,
             max_rows: int = MAX_UPLOAD_ROWS, bounded: bool = False) -> CsvResult:
    """Parse and check an uploaded CSV with a header row naming (at least) `columns`.

    The encoding (UTF-8, or UTF-16/UTF-32 with a byte-order mark) and the separator (comma,
    semicolon, tab or |) are detected. Never raises: a file too large or unreadable, a missing or
    repeated column, a row with more or fewer fields than the header, text, a NaN, an infinite value
    or one too large for the model gives a CsvResult whose `error` names the problem (row, line and
    column where it can).
    """
    if len(raw) > max_bytes:
        return CsvResult(error=f"The file is too large ({len(raw) / 2**20:.1f} MB); the limit is "
                               f"{max_bytes / 2**20:.3g} MB. Upload fewer rows.")
    try:
        text = _decode(raw)
    except ValueError as exc:
        return CsvResult(error=str(exc))
    lines = io.StringIO(text, newline="")  # split at \n, \r or \r\n, as the csv module does
    consumed, offset = 0, 0  # lines and characters before the first data row

    def next_line() -> str:
        nonlocal consumed, offset
        for line in lines:  # the next line that is not blank
            consumed, offset = consumed + 1, offset + len(line)
            if line.strip():
                return line.rstrip("\r\n")
        return ""

    header_line = next_line()
    if not header_line:
        return CsvResult(error="The file is empty: it needs a header row with the column names and at least one row.")
    notes = []
    if header_line.lower().startswith("sep=") and len(header_line.strip()) == 5:  # Excel's separator line
        delimiter = header_line.strip()[4]
        header_line = next_line()
    else:
        delimiter = _delimiter(header_line, columns)
    if not delimiter and len(columns) > 1:
        return CsvResult(error=f"The header is a single column ({_quote(header_line)}): no comma, semicolon, tab or | "
                               "separates the names. Save the file as CSV (comma-separated values) with one "
                               f"column per feature: {', '.join(columns[:4])}, …")
    delimiter = delimiter or ","
    if delimiter != ",":
        notes.append(f"Read as {DELIMITERS.get(delimiter, repr(delimiter))}-separated values.")
    widest = max((line.count(delimiter) for line in io.StringIO(text, newline="")), default=0) + 1
    if widest > MAX_UPLOAD_COLUMNS:
        return CsvResult(error=f"A line of the file has {widest:,} fields; the limit is {MAX_UPLOAD_COLUMNS:,} "
                               "columns.")
    header = [h.strip().lstrip("\ufeff").strip() for h in _split(header_line, delimiter)]
    counts = Counter(h for h in header if h)
    repeated = [h for h, n in counts.items() if n > 1]
    if repeated:
        return CsvResult(error=f"The header names the column{'s' if len(repeated) > 1 else ''} {_names(repeated)} "
                               "more than once (spaces around a name are ignored): give every column its own name.")
    missing = [c for c in columns if c not in counts]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        lowered = {h.lower(): h for h in header}
        cased = [f"{_quote(lowered[c.lower()])} for '{c}'" for c in missing if c.lower() in lowered][:3]
        hint = f" The header has {', '.join(cased)}: names must match exactly, capitals included." if cased else ""
        return CsvResult(error=f"The file is missing {len(missing)} of the {len(columns)} required columns: {shown}. "
                               f"The header must name every feature: {', '.join(columns[:4])}, …{hint}")
    where = [header.index(c) for c in columns]
    reader = csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delimiter, skipinitialspace=True)
    values: list[list[float]] = []
    first_bad: dict[str, tuple[int, int, int, str]] = {}
    n_bad: Counter = Counter()
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            line = consumed + reader.line_num
            while len(row) > len(header) and not row[-1].strip():
                row.pop()  # trailing separators with nothing after them
            r = len(values)
            if len(row) != len(header):
                return CsvResult(error=f"Row {r + 1} (line {line} of the file) has {len(row)} fields but the header "
                                       f"has {len(header)}: every row needs exactly one value per column, and a value "
                                       f"containing a {DELIMITERS.get(delimiter, 'separator')} must be in double "
                                       "quotes.")
            if r == max_rows:
                return CsvResult(error=f"The file has too many rows (more than {max_rows:,}); the limit is "
                                       f"{max_rows:,}.")
            try:  # the common case: every cell a number of float32's range (float() ignores spaces)
                parsed = [float(row[i]) for i in where]
                usable = sum(map(abs, parsed)) <= FLOAT32_MAX  # bounds every |value|; False for NaN
            except ValueError:
                usable = False
            if not usable:
                parsed = []
                for c, i in enumerate(where):
                    cell = row[i].strip()
                    kind, v = _cell(cell)
                    if kind:
                        n_bad[kind] += 1
                        first_bad.setdefault(kind, (r, c, line, cell))
                    parsed.append(v)
            values.append(parsed)
    except csv.Error as exc:
        return CsvResult(error=f"The file could not be read as CSV near line {consumed + reader.line_num}: "
                               f"{exc}.")
    if not values:
        return CsvResult(error="The file has a header but no rows of data.")
    for kind, what in (("text", "text"), ("missing", "a missing or NaN value"), ("infinite", "an infinite value"),
                       ("huge", "a value too large for the model")):
        if kind in first_bad:
            r, c, line, cell = first_bad[kind]
            shown = f" ({_quote(cell)})" if kind in ("text", "huge") else ""
            if kind == "text" and delimiter != "," and _DECIMAL_COMMA.fullmatch(cell):
                shown += f", a number with a decimal comma; write it with a point ({cell.replace(',', '.')})"
            if kind == "huge":
                shown += f"; the model computes with 32-bit numbers, whose largest is {FLOAT32_MAX:.3g}"
            more = f" ({n_bad[kind]} cells in all)" if n_bad[kind] > 1 else ""
            return CsvResult(error=f"Every value must be a finite number, but {_where(r, columns[c], line)} holds "
                                   f"{what}{shown}{more}.")
    X = np.asarray(values, dtype=np.float64)  # (rows, features)
    extra = [h for h in header if h and h not in columns]
    if extra:
        notes.append(f"Ignored {len(extra)} extra column(s): {_names(extra)}.")
    if bounded and (X.min() < 0 or X.max() > 1):
        notes.append("Some pixels lie outside [0, 1]; this model was trained on pixels scaled to [0, 1] "
                     "(divide 0–16 values by 16).")
    return CsvResult(X=X.astype(np.float32), notes=tuple(notes))


def _cell(cell: str) -> tuple[str, float]:
    """(problem, value) of one trimmed cell: problem is "" for a usable number, else "text", "missing",
    "infinite" or "huge" (beyond float32, so the model would see an infinity)."""
    lowered = cell.lower()
    if lowered in _MISSING:
        return "missing", math.nan
    if lowered in _INFINITE:
        return "infinite", math.nan
    try:
        v = float(cell)
    except ValueError:
        return "text", math.nan
    if math.isnan(v):
        return "missing", math.nan
    if abs(v) > FLOAT32_MAX:  # includes values that overflow even float64, like 1e400
        return "huge", math.nan
    return "", v


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
