"""Reading a user's CSV file: the one reader behind every upload (rows to score on the Anomaly page, a table
to train on). It detects the encoding and the separator, reads the header, refuses repeated column names
and rows that do not line up with the header, and judges every cell; what each upload then requires of
the columns is its own business (aeviz.analysis.anomaly.upload, aeviz.datasets.csv).

Every problem is a ValueError whose message a student can act on (row, line and column where it can).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pandas as pd

MAX_UPLOAD_MB = 5  # every uploader's limit; .streamlit/config.toml's server.maxUploadSize says the same (a test checks)
# the browser counts a megabyte as 10^6 or 2^20 bytes depending on the system: accept whatever it let through
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_COLUMNS = 1_000

MISSING = {"", "nan", "na", "n/a", "null", "none"}
_INFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# the separators a spreadsheet writes, and their names in messages
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# (byte-order mark, codec, name): UTF-32's marks first, since UTF-16's little-endian mark begins UTF-32's
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the model computes in float32; larger values become infinite
_ZIP = b"PK\x03\x04"  # a spreadsheet (.xlsx, .ods) is a zip archive
_OLE = b"\xd0\xcf\x11\xe0"  # an old Excel .xls


def where(row: int, col: str, line: int) -> str:
    """'row 3 (line 4 of the file), column 'x'': where a cell is, for messages."""
    return f"row {row + 1} (line {line} of the file), column {quote(col)}"


def quote(text: str, limit: int = 40) -> str:
    """A user's text (a column name, a cell) in quotes, cut to `limit` characters."""
    text = str(text)
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def names(items, limit: int = 5) -> str:
    """A few quoted names, then 'and N more'."""
    items = list(items)
    shown = ", ".join(quote(c) for c in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), or UTF-16/UTF-32 with one; raises
    ValueError naming the encoding otherwise."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise ValueError(f"The file starts with the byte-order mark of {name} text but is not valid {name} "
                                 f"(byte {exc.start + 1} cannot be read). Save it again as CSV in UTF-8.") from None
    if raw.startswith(_ZIP) or raw.startswith(_OLE):
        raise ValueError("The file is a spreadsheet or another binary file (a zip archive, as .xlsx and .ods files "
                         "are), not CSV text. In the spreadsheet program choose Save As → CSV (comma-separated "
                         "values), UTF-8, and upload that file.")
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
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    return half > 0 and max(even, odd) > 0.4 * half and min(even, odd) < 0.1 * half


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def lines_of(text: str, start: int = 0) -> Iterator[str]:
    """The lines of `text` from character `start`, each with its ending, split at \\n, \\r or \\r\\n as the csv
    module splits them; one line at a time (an io.StringIO would hold four bytes per character)."""
    pos, end = start, len(text)
    while pos < end:
        m = _LINE.match(text, pos)
        yield m.group()
        pos = m.end()


def split_line(line: str, delimiter: str) -> list[str]:
    """One line's fields."""
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return [line]


def _delimiter(header: str, columns: tuple[str, ...]) -> str:
    """The separator that splits the header into the most required column names (then into the most
    fields); "" when no candidate splits it at all."""
    wanted = set(columns)

    def score(d: str) -> tuple[int, int]:
        fields = [f.strip() for f in split_line(header, d)]
        return sum(f in wanted for f in fields), len(fields)

    best = max(DELIMITERS, key=score)  # ties go to the first: the comma
    return best if score(best)[1] > 1 else ""


@dataclass(eq=False)
class Table:
    """An opened CSV file: its header and separator, notes on how it was read, and its data rows to
    iterate once (`rows()`)."""

    header: list[str]
    delimiter: str
    text: str
    offset: int  # characters before the first data row
    consumed: int  # lines before the first data row
    notes: list[str] = field(default_factory=list)

    @property
    def separator_name(self) -> str:
        """'comma', 'semicolon', ...: for messages."""
        return DELIMITERS.get(self.delimiter, "separator")

    def rows(self, max_rows: int, too_many: str | None = None) -> Iterator[tuple[int, int, list[str]]]:
        """(row number from 0, line of the file, fields) of each non-blank data row; ValueError for a row
        whose fields do not line up with the header, for more than `max_rows` rows (message `too_many`)
        or for text the csv module cannot read."""
        reader = csv.reader(lines_of(self.text, self.offset), delimiter=self.delimiter, skipinitialspace=True)
        r = 0
        width = len(self.header)
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                line = self.consumed + reader.line_num
                while len(row) > width and not row[-1].strip():
                    row.pop()  # trailing separators with nothing after them
                if len(row) != width:
                    raise ValueError(f"Row {r + 1} (line {line} of the file) has {len(row)} fields but the header "
                                     f"has {width}: every row needs exactly one value per column, and a value "
                                     f"containing a {self.separator_name} must be in double quotes.")
                if r == max_rows:
                    raise ValueError(too_many or f"The file has too many rows (more than {max_rows:,}); the limit "
                                                 f"is {max_rows:,}.")
                yield r, line, row
                r += 1
        except csv.Error as exc:
            raise ValueError(f"The file could not be read as CSV near line {self.consumed + reader.line_num}: "
                             f"{exc}.") from None


def open_table(raw: bytes, columns: tuple[str, ...] = (), *, max_bytes: int = MAX_UPLOAD_BYTES,
               max_columns: int = MAX_UPLOAD_COLUMNS, header_only: bool = False) -> Table:
    """Decode an uploaded CSV and read its header; the separator is the one that finds most of `columns`
    (then most fields). Raises ValueError for a file too large, unreadable, empty, wider than
    `max_columns` (with `header_only`, only the header's width is checked: for its names, not its rows), or
    whose header names a column twice."""
    if len(raw) > max_bytes:
        raise ValueError(f"The file is too large ({len(raw) / 2**20:.1f} MB); the limit is "
                         f"{max_bytes / 2**20:.3g} MB. Upload fewer rows.")
    text = decode(raw)
    lines = lines_of(text)
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
        raise ValueError("The file is empty: it needs a header row with the column names and at least one row.")
    notes = []
    if header_line.lower().startswith("sep=") and len(header_line.strip()) == 5:  # Excel's separator line
        delimiter = header_line.strip()[4]
        header_line = next_line()
        if not header_line:
            raise ValueError("The file is empty: after its separator line (sep=…) it needs a header row with the "
                             "column names and at least one row.")
    else:
        delimiter = _delimiter(header_line, columns)
    if not delimiter and len(columns) > 1:
        raise ValueError(f"The header is a single column ({quote(header_line)}): no comma, semicolon, tab or | "
                         "separates the names. Save the file as CSV (comma-separated values) with one "
                         f"column per feature: {', '.join(columns[:4])}, …")
    delimiter = delimiter or ","
    if delimiter != ",":
        notes.append(f"Read as {DELIMITERS.get(delimiter, repr(delimiter))}-separated values.")
    widest = len(split_line(header_line, delimiter)) if header_only else widest_line(text, delimiter)
    if widest > max_columns:
        raise ValueError(f"A line of the file has {widest:,} fields; the limit is {max_columns:,} columns.")
    header = [h.strip().lstrip("\ufeff").strip() for h in split_line(header_line, delimiter)]
    counts = Counter(h for h in header if h)
    repeated = [h for h, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"The header names the column{'s' if len(repeated) > 1 else ''} {names(repeated)} "
                         "more than once (spaces around a name are ignored): give every column its own name.")
    return Table(header=header, delimiter=delimiter, text=text, offset=offset, consumed=consumed, notes=notes)


def widest_line(text: str, delimiter: str) -> int:
    """The fields of the widest of lines_of(text), at C speed: bytes split into lines where lines_of splits
    (\n, \r, \r\n), and a one-character separator is one byte, so its count per line is the same in UTF-8."""
    lines = text.encode("utf-8", "surrogatepass").splitlines()
    return max(map(bytes.count, lines, itertools.repeat(delimiter.encode())), default=0) + 1


def fast_body(table: Table, at: list[int], label: int | None, max_rows: int
              ) -> tuple[np.ndarray, list[str] | None] | None:
    """The common case of `Table.rows` + `parse_cell` at C speed: when every data row has exactly the header's
    fields and every cell `at` is a plain number within float32's range, (values (rows, len(at)) as float64,
    the `label` cells trimmed, or None); else None, and the caller reads the rows one by one (for the message
    that names the row or cell).

    pandas' C reader parses the body and lets go of Python's lock while it does, so a server's other pages
    keep running while a large table is read (the row-by-row reader holds the lock throughout). It accepts
    only numbers that `float` reads to the same value (a test compares them); a cell it does not read as a
    number (text, a missing value, `1_000`, other scripts' digits) sends the whole table down the slow path."""
    if "\x00" in table.text or "\x0c" in table.text or "\x0b" in table.text:
        return None  # characters the two readers may split at differently
    width = len(table.header)
    # no names: pandas takes the first row's fields as the width, refuses a longer row, and fills a shorter
    # one with blanks (so a column that is not all numbers); with names, a longer first row would shift the columns
    options = dict(sep=table.delimiter, header=None, skipinitialspace=True,
                   skip_blank_lines=True, na_filter=False, engine="c", quotechar='"', doublequote=True,
                   low_memory=False, nrows=max_rows + 1, dtype={label: str} if label is not None else None,
                   encoding="utf-8")
    body = table.text[table.offset:].encode("utf-8", "surrogatepass")  # bytes: a StringIO holds 4 per character
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 3 calls round_trip deprecated; it is Python's own float()
            df = pd.read_csv(io.BytesIO(body), float_precision="round_trip", **options)
    except (ValueError, TypeError, pd.errors.ParserError, UnicodeError, MemoryError, OverflowError):
        return None  # (TypeError: a pandas without round_trip) the row-by-row reader reads it
    if len(df.columns) != width or not 0 < len(df) <= max_rows or any(df[i].dtype.kind not in "fiu" for i in at):
        return None
    X = df[at].to_numpy(np.float64)  # (rows, len(at))
    if not np.isfinite(X).all() or np.abs(X).max() > FLOAT32_MAX:
        return None
    labels = None
    if label is not None:
        labels = [v.strip() for v in df[label].tolist()]
    return np.ascontiguousarray(X), labels


def fast_row(row: list[str], at: list[int]) -> list[float] | None:
    """The cells `at` of a row as numbers when every one is a plain number within float32's range (the common
    case, without looking at each cell); None when one is not, so the caller reads them one by one."""
    try:
        parsed = [float(row[i]) for i in at]  # float() ignores spaces
    except ValueError:
        return None
    return parsed if sum(map(abs, parsed)) <= FLOAT32_MAX else None  # bounds every |value|; False for NaN


def parse_cell(cell: str) -> tuple[str, float]:
    """(problem, value) of one trimmed cell: problem is "" for a usable number, else "text", "missing",
    "infinite" or "huge" (beyond float32, so the model would see an infinity)."""
    lowered = cell.lower()
    if lowered in MISSING:
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


def cell_problem(kind: str, cell: str, delimiter: str) -> str:
    """What is wrong with a cell of this kind, e.g. "text ('abc')", for the message that names it."""
    what = {"text": "text", "missing": "a missing or NaN value", "infinite": "an infinite value",
            "huge": "a value too large for the model"}[kind]
    shown = f" ({quote(cell)})" if kind in ("text", "huge") else ""
    if kind == "text" and delimiter != "," and DECIMAL_COMMA.fullmatch(cell):
        shown += f", a number with a decimal comma; write it with a point ({cell.replace(',', '.')})"
    if kind == "huge":
        shown += f"; the model computes with 32-bit numbers, whose largest is {FLOAT32_MAX:.3g}"
    return what + shown
