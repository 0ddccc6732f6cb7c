"""The training reader's C-speed path (aeviz.tables.fast_body) reads exactly what the row-by-row reader reads:
the same numbers, labels, notes and messages on clean tables and on tables built to trip it up, and it hands
every table it is unsure of to the row-by-row reader. (That it lets go of Python's lock while it reads, so a
server's other pages keep running, is measured by bench/abuse.py --uploaders, not asserted here.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aeviz import tables
from aeviz.datasets import csv as csv_reader
from aeviz.datasets.csv import read_training_table

# cells that are plain numbers to both readers, and cells only one of them (or neither) reads as a number
NUMBERS = ["0", "1", "-3", "+.5", "5.", "1e5", "1E-3", "-.5e-3", "00012", "0.1", "3.4e38", "-3.4e38",
           "9007199254740993", "0.30000000000000004", "2.2250738585072014e-308", "1e-400", " 7", "8 ", '"9.5"',
           "123456789.123456789", "4.9406564584124654e-324"]
TRICKY = ["", "nan", "NaN", "NA", "null", "inf", "-Infinity", "1e400", "3.5e38", "1_000", "\u0661\u0662",
          "1,5", "abc", "TRUE", "0x10", "1e", "--1", '"1,5"', "  "]


def _both(raw: bytes, label_column: str | None = None):
    """(the reader's outcome, the row-by-row reader's outcome): the table's fields, or the error message."""
    def outcome():
        try:
            t = read_training_table(raw, label_column=label_column)
        except ValueError as exc:
            return ("refused", str(exc))
        return ("read", t.X.tobytes(), t.X.shape, t.feature_names, t.labels, t.notes)

    fast = outcome()
    saved = csv_reader.fast_body
    csv_reader.fast_body = lambda *a, **k: None
    try:
        slow = outcome()
    finally:
        csv_reader.fast_body = saved
    return fast, slow


def _table(rows: list[list[str]], header: list[str], sep: str = ",", end: str = "\n") -> bytes:
    return (sep.join(header) + end + end.join(sep.join(r) for r in rows) + end).encode()


def test_a_clean_table_goes_down_the_fast_path_with_the_same_numbers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) * 10.0 ** rng.integers(-8, 8, size=(500, 6))
    raw = _table([[repr(float(v)) for v in row] for row in X], [f"c{j}" for j in range(6)])
    table = tables.open_table(raw)
    fast = tables.fast_body(table, list(range(6)), None, 10_000)
    assert fast is not None and np.array_equal(fast[0], X)  # float() of each cell, bit for bit
    got, ref = _both(raw)
    assert got == ref and got[0] == "read"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_separators_and_line_endings_read_the_same(sep, end):
    rng = np.random.default_rng(1)
    rows = [[NUMBERS[i] for i in rng.integers(0, len(NUMBERS), 4)] + [f"kind {k % 3}"] for k in range(40)]
    raw = _table(rows, ["a", "b", "c", "d", "kind"], sep, end)
    got, ref = _both(raw, "kind")
    assert got == ref and got[0] == "read", got[1] if got[0] == "refused" else ""
    assert tables.fast_body(tables.open_table(raw, ("kind",)), [0, 1, 2, 3], 4, 10_000) is not None


@pytest.mark.parametrize("body, why", [
    ("1,2,3,\n4,5,6,\n" * 10, "trailing separators"),
    ("1,2,3,4\n" + "4,5,6\n" * 20, "a longer first row"),
    ("1,2,3\n" * 20 + "4,5,6,7\n", "a longer later row"),
    ("1,2,3\n" * 20 + "4,5\n", "a shorter row"),
    ("1,2,3\n\n  \n" * 20, "blank lines"),
    ("1,2,nan\n" * 20, "missing values"),
    ("1,2,1_000\n" * 20, "a number only float() reads"),
    ("1,2,\u0661\n" * 20, "another script's digits"),
    ("1,2,1e400\n" * 20, "a value beyond float32"),
    ("1,2,x\x00y\n" * 20, "a NUL byte"),
    ('1,2,"3\n4"\n' * 20, "a quoted line break"),
    ("1,2,TRUE\n" * 20, "a boolean"),
])
def test_tables_built_to_trip_the_fast_path_read_as_the_slow_path_reads_them(body, why):
    raw = ("a,b,c\n" + body).encode()
    got, ref = _both(raw)
    assert got == ref, why


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(NUMBERS + TRICKY), min_size=3, max_size=3), min_size=1, max_size=30),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(),
       st.lists(st.sampled_from(["x", "y", " z ", ""]), min_size=30, max_size=30))
def test_any_table_of_these_cells_reads_the_same_either_way(cells, sep, end, with_label, kinds):
    if with_label:
        cells = [row + [kinds[i]] for i, row in enumerate(cells)]
    header = ["a", "b", "c"] + (["kind"] if with_label else [])
    got, ref = _both(_table(cells, header, sep, end), "kind" if with_label else None)
    assert got == ref


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", ",", ";", "\r", "\n", "\r\n", "\x0b", "\u2028", "\x1c", "é", '"', "\U0001f600"])),
       st.sampled_from(sorted(tables.DELIMITERS)))
def test_the_width_scan_counts_the_fields_of_lines_of_lines(pieces, sep):
    text = "".join(pieces)
    expected = max((line.count(sep) for line in tables.lines_of(text)), default=0) + 1
    assert tables.widest_line(text, sep) == expected
