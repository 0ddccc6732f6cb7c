"""Training on a user's table: aeviz.datasets.from_csv against scikit-learn's references (split, scaler, means),
its notes, and a catalogue of bad training files, each ending in its own message and never in a traceback."""

from __future__ import annotations

import codecs
import io
import zipfile

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from aeviz.config import ModelConfig, TrainConfig
from aeviz.datasets import from_csv
from aeviz.datasets.csv import MAX_TRAIN_CELLS, MAX_TRAIN_ROWS, MIN_TRAIN_ROWS, read_training_table
from aeviz.models import build
from aeviz.tables import MAX_UPLOAD_BYTES
from aeviz.train import Trainer


def table(n: int = 40, cols=("a", "b", "c"), *, seed: int = 0, sep: str = ",", labels=None, header=True) -> str:
    """A good table: n rows of correlated numbers, optionally a text label column 'kind' last."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n)
    lines = [sep.join(list(cols) + (["kind"] if labels else []))] if header else []
    for i in range(n):
        row = [f"{t[i] * (j + 1) + 0.1 * rng.normal():.6g}" for j in range(len(cols))]
        if labels:
            row.append(labels[i % len(labels)])
        lines.append(sep.join(row))
    return "\n".join(lines) + "\n"


def rows_of(text: str) -> list[str]:
    return text.strip("\n").split("\n")


def with_cell(text: str, row: int, col: int, value: str) -> str:
    """The table with one cell (data row `row`, column `col`) replaced."""
    lines = rows_of(text)
    cells = lines[row + 1].split(",")
    cells[col] = value
    lines[row + 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def with_column(text: str, name: str, value) -> str:
    lines = rows_of(text)
    out = [lines[0] + "," + name] + [f"{line},{value(i) if callable(value) else value}"
                                     for i, line in enumerate(lines[1:])]
    return "\n".join(out) + "\n"


def xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>" * 20)
    return buf.getvalue()


GOOD = table()
LABELLED = table(labels=["normal", "normal", "normal", "odd"])
N_COLS = ",".join(f"c{j}" for j in range(10_000))

# name: (bytes, from_csv keyword arguments, fragments the message must contain)
CATALOGUE: dict[str, tuple[bytes, dict, list[str]]] = {
    "empty file": (b"", {}, ["The file is empty"]),
    "only blank lines": (b"\n\n   \n\r\n", {}, ["The file is empty"]),
    "only a header": (b"a,b,c\n", {}, ["a header but no rows"]),
    "a header and blank lines": (b"a,b,c\n\n\n", {}, ["a header but no rows"]),
    "one row": (b"a,b,c\n1,2,3\n", {}, ["1 row of data", f"at least {MIN_TRAIN_ROWS}"]),
    "19 rows": (table(19).encode(), {}, ["19 rows of data", f"at least {MIN_TRAIN_ROWS}"]),
    "a ragged row, one field more": (with_cell(GOOD, 5, 2, "1,2").encode(), {},
                                     ["Row 6 (line 7 of the file) has 4 fields but the header has 3"]),
    "a ragged row, one field fewer": ((GOOD + "1,2\n").encode(), {}, ["Row 41", "has 2 fields but the header has 3"]),
    "10,000 columns": ((N_COLS + "\n" + ",".join(["1"] * 10_000) + "\n").encode(), {},
                       ["10,000 fields", "the limit is 1,000 columns"]),
    "1,001 columns": ((",".join(f"c{j}" for j in range(1001)) + "\n").encode(), {}, ["1,001 fields"]),
    "more rows than the limit": (("a,b\n" + "1,2\n" * (MAX_TRAIN_ROWS + 1)).encode(), {},
                                 ["too large to train on", f"{MAX_TRAIN_ROWS:,} rows"]),
    "more values than the limit": ((",".join(f"c{j}" for j in range(100)) + "\n"
                                    + (",".join(["1"] * 100) + "\n") * (MAX_TRAIN_CELLS // 100 + 1)).encode(), {},
                                   ["too large to train on", f"{MAX_TRAIN_CELLS:,} values (rows × columns)"]),
    "more bytes than the upload limit": (b"a,b\n" + b"1,2\n" * (MAX_UPLOAD_BYTES // 4 + 1), {},
                                         ["too large", "the limit is 5 MB"]),
    "every cell missing": (("a,b,c\n" + ",,\n" * 30).encode(), {}, ["Every column is empty"]),
    "every cell NaN": (("a,b,c\n" + "NaN,nan,NA\n" * 30).encode(), {}, ["Every column is empty"]),
    "every cell null or none": (("a,b\n" + "null,None\n" * 30).encode(), {}, ["Every column is empty"]),
    "a constant column beside one other": (with_column(table(cols=("a",)), "k", 5).encode(), {},
                                           ["at least 2 usable columns", "only 'a' is left", "1 constant"]),
    "all rows identical": (("a,b,c\n" + "1,2,3\n" * 30).encode(), {}, ["Every column is constant"]),
    "all rows identical but labelled": (("a,b,kind\n" + "1,2,x\n1,2,y\n" * 15).encode(), {"label_column": "kind"},
                                        ["Every column is constant"]),
    "one text cell": (with_cell(GOOD, 3, 1, "abc").encode(), {},
                      ["row 4 (line 5 of the file), column 'b' holds text ('abc')"]),
    "text cells in several rows": (with_cell(with_cell(GOOD, 3, 1, "x"), 9, 1, "y").encode(), {},
                                   ["holds text ('x') (2 cells in all)"]),
    "a column of names": (with_column(GOOD, "species", lambda i: ["setosa", "virginica"][i % 2]).encode(), {},
                          ["The column 'species' holds text", "Choose it as the label column"]),
    "two text columns": (with_column(with_column(GOOD, "s", "x"), "t", "y").encode(), {},
                         ["The column 's' holds text", "so do 't'"]),
    "a column of dates": (with_column(GOOD, "date", lambda i: f"2024-01-{i % 28 + 1:02d}").encode(), {},
                          ["The column 'date' holds text", "'2024-01-01'"]),
    "booleans": (with_column(GOOD, "flag", lambda i: "true" if i % 2 else "false").encode(), {},
                 ["The column 'flag' holds text"]),
    "percentages": (with_cell(GOOD, 0, 0, "50%").encode(), {}, ["holds text ('50%')"]),
    "a currency sign": (with_cell(GOOD, 2, 2, "$5").encode(), {}, ["holds text ('$5')"]),
    "a dash for a missing value": (with_cell(GOOD, 7, 0, "-").encode(), {}, ["holds text ('-')"]),
    "a quoted thousands separator": (with_cell(GOOD, 1, 1, '"1,234"').encode(), {}, ["holds text ('1,234')"]),
    "decimal commas in a semicolon file": (table(sep=";").replace(".", ",").encode(), {},
                                           ["a number with a decimal comma", "write it with a point"]),
    "an Excel workbook renamed .csv": (xlsx(), {}, ["spreadsheet", "Save As → CSV"]),
    "an old Excel .xls": (codecs.decode("d0cf11e0a1b11ae1", "hex") + b"\x00" * 100, {}, ["spreadsheet"]),
    "a gzipped CSV": (b"\x1f\x8b\x08\x00" + bytes(range(200)), {}, ["not UTF-8 text"]),
    "a PNG image": (b"\x89PNG\r\n\x1a\n" + bytes(100), {}, ["not UTF-8 text"]),
    "random bytes": (bytes(np.random.default_rng(0).integers(128, 256, 300, dtype=np.uint8)), {}, ["not UTF-8"]),
    "Latin-1 text": ("température,b\n1,2\n".encode("latin-1"), {}, ["not UTF-8", "Latin-1"]),
    "UTF-16 without a byte-order mark": (GOOD.encode("utf-16-le"), {}, ["UTF-16 text without a byte-order mark"]),
    "UTF-16 big-endian without a mark": (GOOD.encode("utf-16-be"), {}, ["UTF-16 text without a byte-order mark"]),
    "a broken UTF-16 file": (codecs.BOM_UTF16_LE + b"a\x00,\x00\x00\xd8", {}, ["byte-order mark of UTF-16",
                                                                             "not valid UTF-16"]),
    "a broken UTF-32 file": (codecs.BOM_UTF32_LE + b"a\x00\x00", {}, ["byte-order mark of UTF-32"]),
    "a UTF-8 byte-order mark and one row": (codecs.BOM_UTF8 + b"a,b\n1,2\n", {}, ["1 row of data"]),
    "a UTF-16 byte-order mark and a text cell": ((with_cell(GOOD, 0, 0, "x")).encode("utf-16"), {},
                                                 ["column 'a' holds text ('x')"]),
    "1e300": (with_cell(GOOD, 4, 2, "1e300").encode(), {}, ["a value too large for the model ('1e300')", "32-bit"]),
    "1e39, beyond float32": (with_cell(GOOD, 4, 0, "-1e39").encode(), {}, ["too large for the model ('-1e39')"]),
    "1e400, beyond float64": (with_cell(GOOD, 0, 0, "1e400").encode(), {}, ["too large for the model ('1e400')"]),
    "an infinity": (with_cell(GOOD, 6, 1, "inf").encode(), {}, ["column 'b' holds an infinite value"]),
    "minus infinity spelt out": (with_cell(GOOD, 6, 1, "-Infinity").encode(), {}, ["an infinite value"]),
    "duplicate headers": (GOOD.replace("a,b,c", "a,b,a", 1).encode(), {}, ["names the column 'a' more than once"]),
    "duplicate headers up to spaces": (GOOD.replace("a,b,c", "a, b,b ", 1).encode(), {}, ["'b' more than once"]),
    "NUL bytes": (GOOD.encode().replace(b"\n1", b"\n\x001", 1) if "\n1" in GOOD else b"a,b\n\x00,1\n", {},
                  ["NUL bytes"]),
    "NUL bytes everywhere": (b"a,b\n" + b"\x00" * 200, {}, ["NUL bytes"]),
    "a label column that is the only column": (("kind\n" + "x\n" * 30).encode(), {"label_column": "kind"},
                                               ["'kind' is the only column"]),
    "a label column beside one column": (("a,kind\n" + "1,x\n2,y\n" * 15).encode(), {"label_column": "kind"},
                                         ["one of only two columns"]),
    "a label column that is not there": (GOOD.encode(), {"label_column": "class"},
                                         ["The label column 'class' is not in the file's header", "'a', 'b', 'c'"]),
    "a label column in the wrong case": (LABELLED.encode(), {"label_column": "Kind"},
                                         ["The header has 'kind'", "capitals included"]),
    "a label column with a value per row": (GOOD.encode(), {"label_column": "a"},
                                            ["'a' has 40 different values", "at most 20"]),
    "an anomaly label the column lacks": (LABELLED.encode(), {"label_column": "kind", "anomaly_labels": ["weird"]},
                                          ["has no value 'weird'", "'normal', 'odd'"]),
    "anomaly labels without a label column": (GOOD.encode(), {"anomaly_labels": ["odd"]},
                                              ["Anomaly labels need a label column"]),
    "every row an anomaly": (LABELLED.encode(), {"label_column": "kind", "anomaly_labels": ["normal", "odd"]},
                             ["Only 0 row(s) are not anomalies"]),
    "too few normal rows": (table(40, labels=["odd", "odd", "odd", "normal"]).encode(),
                            {"label_column": "kind", "anomaly_labels": "odd"}, ["Only 10 row(s) are not anomalies"]),
    "no header row": (table(header=False).encode(), {}, ["The first line holds numbers", "add a header row"]),
    "a single column": (("a\n" + "\n".join(str(i) for i in range(30)) + "\n").encode(), {},
                        ["a single column ('a')"]),
    "an HTML page": (b"<!DOCTYPE html>\n<html><body><p>Not found</p></body></html>\n", {}, ["a single column"]),
    "a JSON file": (b'[{"a": 1, "b": 2}, {"a": 3, "b": 4}]', {}, ["a header but no rows"]),
    "a PDF": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", {}, ["not UTF-8"]),
    "only Excel's separator line": (b"sep=;\n", {}, ["The file is empty"]),
    "columns mostly missing": (("a,b,c\n" + "1,,\n2,,\n" * 15 + "3,4,5\n").encode(), {},
                               ["only 'a' is left", "2 mostly empty"]),
    "rows with every feature missing": (("a,b,kind\n" + ",,x\n" * 30 + "1,2,y\n3,5,y\n").encode(),
                                        {"label_column": "kind"}, ["2 rows of data with any feature present"]),
    "an unclosed quote": ((GOOD + '"1,2,3\n4,5,6\n').encode(), {}, ["Row 41", "fields but the header has 3"]),
    "carriage returns only, with a ragged row": (GOOD.replace("\n", "\r").replace("\r", "\r9,", 3).encode(), {},
                                                 ["fields but the header has 3"]),
    "a very long repeated column name": ((("x" * 500 + ",") * 2 + "b\n1,2,3\n").encode(), {},
                                         ["more than once", "…"]),
    "a tab file with a text cell": ("\n".join(rows_of(table(sep="\t"))[:3] + ["1\tq\t2"]
                                              + rows_of(table(sep="\t"))[3:]).encode(), {},
                                    ["row 3 (line 4 of the file), column 'b' holds text ('q')"]),
}


def test_the_catalogue_is_large():
    assert len(CATALOGUE) >= 60


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_a_bad_training_file_gets_its_message(name):
    raw, kwargs, fragments = CATALOGUE[name]
    with pytest.raises(ValueError) as info:  # a ValueError, never another exception (a traceback on the page)
        from_csv(raw, random_state=0, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (name, message)
    assert "Traceback" not in message and "Error" not in message.split(":")[0] and len(message) < 400


# --- good tables, against scikit-learn's references ----------------------------------------------------------


def test_standardised_with_its_own_training_rows():
    raw = np.loadtxt(io.StringIO(GOOD), delimiter=",", skiprows=1)  # (40, 3), numpy's own reader
    d = from_csv(GOOD.encode(), random_state=3)
    train, test = train_test_split(np.arange(40), test_size=0.2, random_state=3)
    np.testing.assert_array_equal(d.train_idx, np.sort(train))
    np.testing.assert_array_equal(d.test_idx, np.sort(test))
    ref = StandardScaler().fit(raw[d.train_idx])
    np.testing.assert_allclose(d.X, ref.transform(raw), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d.feature_mean, ref.mean_)
    assert d.kind == "tabular" and d.feature_names == ("a", "b", "c") and d.notes == ()
    assert not np.allclose(d.X_test.mean(axis=0), 0, atol=1e-3)  # the test rows did not set the scale


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = (from_csv(GOOD.encode(), random_state=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.test_idx, c.test_idx)


def test_a_text_label_column_colours_and_never_trains():
    d = from_csv(LABELLED.encode(), label_column="kind", anomaly_labels=["odd"], random_state=0)
    assert d.feature_names == ("a", "b", "c") and d.label_names == ("normal", "odd")
    expected = np.array([1 if i % 4 == 3 else 0 for i in range(40)])
    np.testing.assert_array_equal(d.y, expected)
    assert d.anomaly_labels == (1,)
    # stratified, as scikit-learn splits it
    train, _ = train_test_split(np.arange(40), test_size=0.2, random_state=0, stratify=expected)
    np.testing.assert_array_equal(d.train_idx, np.sort(train))


def test_numeric_labels_sort_as_numbers():
    text = with_column(table(), "grade", lambda i: ["10", "9", "2"][i % 3])
    d = from_csv(text.encode(), label_column="grade", anomaly_labels=[10], random_state=0)
    assert d.label_names == ("2", "9", "10") and d.anomaly_labels == (2,)


def test_empty_constant_and_mostly_missing_columns_are_dropped_with_notes():
    text = with_column(with_column(with_column(GOOD, "empty", ""), "const", 7), "sparse",
                       lambda i: "1" if i % 3 == 0 else "")
    d = from_csv(text.encode(), random_state=0)
    assert d.feature_names == ("a", "b", "c")
    notes = " ".join(d.notes)
    assert "Dropped 1 column(s) that are empty: 'empty'" in notes
    assert "hold the same value in every row" in notes and "'const'" in notes
    assert "more than 50% missing: 'sparse'" in notes


def test_missing_cells_are_filled_with_the_training_rows_mean():
    text = with_cell(with_cell(GOOD, 0, 1, ""), 5, 1, "NaN")
    raw = np.genfromtxt(io.StringIO(text), delimiter=",", skip_header=1)  # NaN where missing
    d = from_csv(text.encode(), random_state=0)
    mean_b = np.nanmean(raw[d.train_idx, 1])
    restored = d.X * d.feature_scale + d.feature_mean  # back to raw units
    np.testing.assert_allclose(restored[[0, 5], 1], mean_b, rtol=1e-5)
    assert any("Filled 2 missing cell(s) in 1 column(s) ('b')" in n for n in d.notes)


def test_encodings_and_separators_the_reader_detects():
    for raw, note in ((codecs.BOM_UTF8 + GOOD.encode(), None), (GOOD.encode("utf-16"), None),
                      (table(sep=";").encode(), "semicolon"), (table(sep="\t").encode(), "tab"),
                      (("sep=|\n" + table(sep="|")).encode(), "vertical bar"),
                      (GOOD.replace("\n", "\r\n").encode(), None)):
        d = from_csv(raw, random_state=0)
        assert d.feature_names == ("a", "b", "c") and d.X.shape == (40, 3)
        assert (note is None and not d.notes) or any(note in n for n in d.notes)


def test_unnamed_columns_get_a_name():
    text = GOOD.replace("a,b,c", "a,,c", 1)
    d = from_csv(text.encode(), random_state=0)
    assert d.feature_names == ("a", "column 2", "c") and "no name" in d.notes[0]


def test_pandas_style_integer_names_are_names():
    text = GOOD.replace("a,b,c", "0,1,2", 1)
    assert from_csv(text.encode(), random_state=0).feature_names == ("0", "1", "2")


def test_the_table_reads_as_raw_values():
    t = read_training_table(GOOD.encode())
    np.testing.assert_array_equal(t.X, np.loadtxt(io.StringIO(GOOD), delimiter=",", skiprows=1))


def test_a_table_trains():
    d = from_csv(table(200, ("a", "b", "c", "d")).encode(), random_state=0)
    trainer = Trainer(build(ModelConfig(latent=1), d, seed=0), d, TrainConfig(epochs=30, batch_size=32))
    trainer.run()
    assert trainer.error is None
    first, last = trainer.history[0]["test_recon"], trainer.history[-1]["test_recon"]
    assert last < 0.25 * first  # one factor explains four correlated columns
    with torch.no_grad():
        assert torch.isfinite(trainer.model(torch.from_numpy(d.X))).all()


def test_lines_are_split_as_the_csv_module_splits_them():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from aeviz.tables import lines_of

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(["a", ",", "\r", "\n", "\r\n", "\x0b", "\u2028", "\x1c", "é", '"'])),
           st.integers(0, 5))
    def check(pieces, start):
        text = "".join(pieces)
        start = min(start, len(text))
        assert list(lines_of(text, start)) == list(io.StringIO(text[start:], newline=""))

    check()


def test_reading_a_large_table_holds_a_few_times_its_size():
    import tracemalloc

    rng = np.random.default_rng(0)
    lines = [",".join(f"c{j}" for j in range(20))] + [",".join(f"{v:.5f}" for v in row)
                                                       for row in rng.normal(size=(25_000, 20))]
    raw = ("\n".join(lines) + "\n").encode()
    del lines
    tracemalloc.start()
    try:
        data = from_csv(raw, random_state=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.X.shape == (25_000, 20)
    assert peak < 5 * len(raw), f"{peak / 2**20:.1f} MB for a {len(raw) / 2**20:.1f} MB file"
