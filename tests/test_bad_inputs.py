"""A catalogue of bad inputs — CSV files, weights files and links — each with the message it must get,
none ending in a traceback; the weights "zip bomb" refused within a memory bound; and one upload limit.

The CSV and weights cases go through the core functions (`read_csv`, `restored_run`), the link cases
through `aeviz.fields.read_settings`; a handful of each then go through the real pages under
AppTest to show that the page draws the message and no exception box.
"""

from __future__ import annotations

import collections
import io
import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
import tomllib
import zipfile
import zlib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from aeviz import DataConfig, ModelConfig, TrainConfig, build, load
from aeviz.analysis import anomaly as an
from aeviz.fields import SETTINGS, read_settings
from aeviz.io import MAX_ABS_WEIGHT, restored_run, weights_to_bytes
from aeviz.ui.text import plain
from conftest import open_app_page, open_sections

ROOT = Path(__file__).resolve().parents[1]
TRAIN = TrainConfig(epochs=2, seed=3)
GW = load(DataConfig("gw"))
DIGITS = load(DataConfig("digits"))
COLS = GW.feature_names  # 16 named features


# --- builders ---------------------------------------------------------------------------------------------

def _csv(rows: list[list[str]] | None = None, header: list[str] | None = None, sep: str = ",",
         end: str = "\n") -> str:
    """A CSV of gw's 16 columns: `rows` as given, else three rows of real held-out events."""
    header = list(COLS) if header is None else header
    if rows is None:
        rows = [[f"{v:.5g}" for v in x] for x in GW.X_test[:3]]
    return end.join(sep.join(r) for r in [header, *rows]) + end


def _row(**cells: str) -> list[str]:
    """One row of plain numbers with some cells replaced by name."""
    row = [f"{v:.5g}" for v in GW.X_test[0]]
    for name, text in cells.items():
        row[COLS.index(name)] = text
    return row


def _saved(obj, **kw) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def _state(**changes) -> dict[str, torch.Tensor]:
    """The default digits model's state dict with some tensors replaced by name."""
    state = {k: v.clone() for k, v in build(ModelConfig(), DIGITS, seed=1).state_dict().items()}
    state.update(changes)
    return state


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def zip_bomb(key: str = "encoder.0.weight", numel: int = 1_069_547_520, chunk: int = 1 << 24) -> bytes:
    """A torch.save file whose one storage, `numel` float32 zeros under a correct key name, is stored
    deflate-compressed (about 1000:1): 4.1 MB that unpack to 4.3 GB by default.

    The storage is never held in memory: zipfile writes the entry from 16 MB chunks of zeros, and every
    chunk deflates to the same bytes, so the compressor is swapped for one that repeats them.
    """
    assert numel * 4 % chunk == 0
    storage = object()

    class Tensor:  # pickled exactly as torch.save pickles a tensor
        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2, (storage, 0, (numel,), (1,), False, collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", numel) if obj is storage else None

    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump({key: Tensor()})
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)  # restarts: the same each chunk
    tail = deflate.flush()

    class Repeat:
        def compress(self, data):
            return block

        def flush(self):
            return tail

    out, zeros = io.BytesIO(), bytes(chunk)
    with zipfile.ZipFile(io.BytesIO(_saved({key: torch.zeros(1)}))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():  # torch.save's own records, with the pickle and the storage replaced
            if info.filename.endswith("/data.pkl"):
                dst.writestr(info.filename, pkl.getvalue())
            elif info.filename.endswith("/data/0"):
                entry = zipfile.ZipInfo(info.filename)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(entry, "w", force_zip64=True) as f:
                    f._compressor = Repeat()
                    for _ in range(numel * 4 // chunk):
                        f.write(zeros)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


class _Payload:
    """A pickle that would run code on load (it must never be loaded)."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


# --- the catalogue: CSV files ---------------------------------------------------------------------------

BIG_ROWS = "\n".join(",".join(["0.5"] * 16) for _ in range(an.MAX_UPLOAD_ROWS + 1))

CSV_CASES = {
    # (the file's bytes, fragments its message must contain)
    "empty": (b"", ["empty"]),
    "blank lines only": (b"  \n\n \r\n", ["empty"]),
    "header only": (_csv([]).encode(), ["no rows"]),
    "a column missing": (_csv(header=[*COLS[:-1], "spin"]).encode(), ["missing 1 of the 16", "'final_spin'"]),
    "every column missing": (_csv(header=[f"x{i}" for i in range(16)]).encode(), ["missing 16 of the 16"]),
    "capitals differ": (_csv(header=["LOG_MASS_1", *COLS[1:]]).encode(), ["'LOG_MASS_1' for 'log_mass_1'",
                                                                         "capitals"]),
    "a name repeated": (_csv(header=[*COLS, "log_snr"], rows=[_row() + ["1"]]).encode(),
                        ["'log_snr' more than once"]),
    "a name repeated after trimming": (_csv(header=[*COLS, " chi_p "], rows=[_row() + ["1"]]).encode(),
                                       ["'chi_p' more than once", "spaces around a name"]),
    "two names repeated": (_csv(header=[*COLS, "chi_p", "redshift "], rows=[_row() + ["1", "2"]]).encode(),
                           ["columns 'chi_p', 'redshift' more than once"]),
    "a row with one field too many": (_csv([_row(), _row() + ["7"]]).encode(),
                                      ["Row 2 (line 3 of the file) has 17 fields", "header has 16"]),
    "a row with one field too few": (_csv([_row(), _row(), _row()[:-1]]).encode(),
                                     ["Row 3 (line 4 of the file) has 15 fields"]),
    "a row of one field": (_csv([_row(), ["hello"]]).encode(), ["Row 2", "has 1 fields"]),
    "a quote left open": (_csv([_row(), ['"0.1', *_row()[1:]]]).encode(), ["Row 2", "fields"]),
    "text in a cell": (_csv([_row(), _row(chi_eff="high")]).encode(),
                       ["row 2 (line 3 of the file), column 'chi_eff'", "text ('high')"]),
    "a unit after a number": (_csv([_row(log_snr="12 dB")]).encode(), ["column 'log_snr'", "'12 dB'"]),
    "a decimal comma": (_csv([_row(redshift="0,3")], sep=";").encode(), ["decimal comma", "(0.3)"]),
    "an empty cell": (_csv([_row(), _row(chi_p="")]).encode(), ["row 2", "column 'chi_p'", "missing"]),
    "NaN": (_csv([_row(mass_ratio="NaN")]).encode(), ["column 'mass_ratio'", "NaN"]),
    "NA": (_csv([_row(mass_ratio="NA")]).encode(), ["column 'mass_ratio'", "missing"]),
    "null": (_csv([_row(final_spin="null")]).encode(), ["column 'final_spin'", "missing"]),
    "inf": (_csv([_row(log_distance="inf")]).encode(), ["column 'log_distance'", "infinite"]),
    "-Infinity": (_csv([_row(), _row(log_distance="-Infinity")]).encode(), ["row 2", "infinite"]),
    "1e39, beyond float32": (_csv([_row(log_mass_1="1e39")]).encode(),
                             ["column 'log_mass_1'", "too large for the model ('1e39')", "32-bit"]),
    "-5e38": (_csv([_row(log_mass_2="-5e38")]).encode(), ["column 'log_mass_2'", "too large"]),
    "1e400, beyond float64": (_csv([_row(chi_eff="1e400")]).encode(), ["too large", "'1e400'"]),
    "many bad cells": (_csv([_row(chi_eff="x"), _row(chi_eff="y", chi_p="z")]).encode(), ["3 cells in all"]),
    "space-separated": (_csv(sep=" ").encode(), ["single column", "no comma, semicolon, tab or |"]),
    "too many rows": (f"{','.join(COLS)}\n{BIG_ROWS}\n".encode(), ["too many rows", "5,000"]),
    "too many bytes": (b"#" * (an.MAX_UPLOAD_BYTES + 1), ["too large", "the limit is 5 MB"]),
    "too many columns": (_csv(header=[*COLS, *(f"x{i}" for i in range(1000))], rows=[_row() + ["0"] * 1000]).encode(),
                         ["1,016 fields", "1,000 columns"]),
    "a field over 128 kB": (_csv([_row(), _row(chi_p="1" * 200_000)]).encode(), ["could not be read as CSV",
                                                                                 "near line 3"]),
    "Latin-1": (_csv(header=[*COLS, "état"], rows=[_row() + ["1"]]).encode("latin-1"),
                ["not UTF-8", "0xe9", "Latin-1"]),
    "UTF-16 without a byte-order mark": (_csv().encode("utf-16-le"), ["UTF-16", "without a byte-order mark"]),
    "UTF-16 mark, odd length": (b"\xff\xfe" + "log_mass_1,b".encode("utf-16-le") + b"\x00",
                                ["byte-order mark of UTF-16", "UTF-8"]),
    "NUL bytes": (b"log_mass_1,log_mass_2\x00\x00\x00\n1,2\n", ["NUL", "not a text file"]),
    "a PNG image": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), ["not UTF-8"]),
    "an Excel workbook": (_zip({"xl/workbook.xml": b"<workbook/>" * 50}, zipfile.ZIP_DEFLATED), ["a spreadsheet", "Save As → CSV"]),
    "Markdown in a missing column": (_csv(header=["[click](http://x)", *COLS[1:]]).encode(),
                                     ["missing 1", "'log_mass_1'"]),
}


@pytest.mark.parametrize("raw, words", CSV_CASES.values(), ids=CSV_CASES.keys())
def test_a_bad_csv_gets_its_message(raw, words):
    r = an.read_csv(raw, COLS)
    assert r.X is None and r.error and "Traceback" not in r.error, r.error
    for w in words:
        assert w in r.error, (w, r.error)


GOOD = np.asarray([[float(f"{v:.5g}") for v in x] for x in GW.X_test[:3]])
READABLE = {
    # (the file's bytes, a note it must get, or "")
    "commas": (_csv().encode(), ""),
    "semicolons": (_csv(sep=";").encode(), "semicolon-separated"),
    "tabs": (_csv(sep="\t").encode(), "tab-separated"),
    "vertical bars": (_csv(sep="|").encode(), "vertical bar-separated"),
    "Excel's sep= line": (("sep=;\n" + _csv(sep=";")).encode(), "semicolon-separated"),
    "UTF-8 with a byte-order mark": (_csv().encode("utf-8-sig"), ""),
    "UTF-16 LE with a byte-order mark": (_csv(sep="\t").encode("utf-16"), "tab-separated"),
    "UTF-16 BE with a byte-order mark": (b"\xfe\xff" + _csv().encode("utf-16-be"), ""),
    "UTF-32 with a byte-order mark": (_csv().encode("utf-32"), ""),
    "CRLF and blank lines": (("\r\n" + _csv(end="\r\n") + "\r\n\r\n").encode(), ""),
    "trailing separators": (_csv([[*r, ""] for r in [[f"{v:.5g}" for v in x] for x in GW.X_test[:3]]],
                                 header=[*COLS, ""]).encode(), ""),
    "quoted values and spaces": (_csv([[f' "{v:.5g}" ' for v in x] for x in GW.X_test[:3]]).encode(), ""),
    "Markdown in an extra column": (_csv(header=[*COLS, "**bold** [a](b)"],
                                         rows=[[f"{v:.5g}" for v in x] + ["1"] for x in GW.X_test[:3]]).encode(),
                                    "'**bold** [a](b)'"),
}


@pytest.mark.parametrize("raw, note", READABLE.values(), ids=READABLE.keys())
def test_csv_encodings_and_separators_are_detected(raw, note):
    r = an.read_csv(raw, COLS)
    assert r.error is None, r.error
    np.testing.assert_allclose(r.X, GOOD, rtol=1e-6)
    assert (note in " ".join(r.notes)) if note else not r.notes, r.notes


def test_errors_of_huge_values_are_computed_in_float64():
    model = build(ModelConfig(), GW, seed=0)
    r = an.read_csv(_csv([_row(), _row(log_snr="1e20")]).encode(), COLS)
    assert r.error is None
    errors = an.upload_errors(model, r.X)
    assert errors.dtype == np.float64 and np.isfinite(errors).all() and errors[1] > 1e36  # (1e20)² / 16
    with pytest.raises(ValueError, match="cannot reconstruct row 2: its values are so large"):
        an.upload_errors(model, np.vstack([r.X[:1], np.full((1, 16), 3e38, np.float32)]))


# --- the catalogue: weights files -------------------------------------------------------------------------

def _weights_cases() -> dict[str, tuple[bytes, list[str]]]:
    good = _state()
    n = len(good)
    return {
        "empty": (b"", ["Not an aeviz weights file: it is empty"]),
        "random bytes": (np.random.default_rng(0).bytes(4096), ["not the zip archive torch.save writes"]),
        "text": (b"epoch,loss\n1,0.5\n", ["not the zip archive"]),
        "a plain pickle": (pickle.dumps({"encoder.0.weight": 1}), ["not the zip archive"]),
        "a pickle that runs code": (pickle.dumps({"encoder.0.weight": _Payload()}), ["not the zip archive"]),
        "the legacy torch format": (_saved(good, _use_new_zipfile_serialization=False),
                                    ["not the zip archive", "torch.save(model.state_dict()"]),
        "truncated": (weights_to_bytes(build(ModelConfig(), DIGITS))[:500], ["not the zip archive"]),
        "a zip of a CSV": (_zip({"data.csv": b"a,b\n1,2\n"}), ["cannot be read as a PyTorch state dict"]),
        "a zip bomb, 16 MB of zeros": (zip_bomb(numel=1 << 22), ["would unpack to 16.8 MB", "at most 108.3 kB",
                                                                 "refused unread"]),
        "one padded storage": (_saved(_state(**{"encoder.0.bias": torch.zeros(32 + 40_000)[:32]})),
                               ["would unpack to", "refused unread"]),
        "too many entries": (_zip({f"archive/data/{i}": b"" for i in range(n + 17)}), [f"{n + 17} entries",
                                                                                       f"at most {n + 16}"]),
        "code inside the zip": (_saved({"encoder.0.weight": _Payload()}), ["Python objects besides tensors"]),
        "a list": (_saved([torch.zeros(2)]), ["holds a list, not named tensors"]),
        "an empty dict": (_saved({}), ["an empty mapping"]),
        "a dict of ints": (_saved({"encoder.0.weight": 3}), ["entries such as encoder.0.weight are not named"]),
        "numbers as keys": (_saved({0: torch.zeros(2)}), ["not named tensors"]),
        "another latent size": (weights_to_bytes(build(ModelConfig(latent=3), DIGITS)), ["encoder.4.weight",
                                                                                          "[3, 16]", "[2, 16]"]),
        "a layer more": (weights_to_bytes(build(ModelConfig(hidden=(32, 16, 8)), DIGITS)),
                         ["different architecture", "unexpected", "64→32→16→8→2"]),
        "a layer fewer": (weights_to_bytes(build(ModelConfig(hidden=(32,)), DIGITS)), ["missing", "64→32→2"]),
        "another dataset": (weights_to_bytes(build(ModelConfig(), GW)), ["16→32→16→2"]),
        "a VAE's weights": (weights_to_bytes(build(ModelConfig(variant="variational"), DIGITS)), ["[4, 16]"]),
        "an extra key": (_saved(_state(extra=torch.zeros(2))), ["unexpected extra"]),
        "a NaN": (_saved(_state(**{"decoder.0.bias": torch.full((16,), math.nan)})), ["decoder.0.bias contains NaN"]),
        "an infinity": (_saved(_state(**{"encoder.2.bias": torch.full((16,), math.inf)})),
                        ["encoder.2.bias contains NaN or infinite"]),
        "integers": (_saved({k: v.to(torch.int64) for k, v in _state().items()}), ["not floating-point"]),
        "booleans": (_saved(_state(**{"encoder.0.bias": torch.ones(32, dtype=torch.bool)})), ["torch.bool"]),
        "complex numbers": (_saved(_state(**{"encoder.0.bias": torch.zeros(32, dtype=torch.complex64)})),
                            ["not floating-point"]),
        "3e38, near float32's limit": (_saved(_state(**{"encoder.0.weight": torch.full((32, 64), 3e38)})),
                                       ["not from a trained aeviz model", "encoder.0.weight", "3e+38"]),
        "1e5": (_saved(_state(**{"decoder.4.bias": torch.full((64,), 1e5)})), ["not from a trained aeviz model",
                                                                               "1e+05"]),
        "-2e4": (_saved(_state(**{"encoder.2.weight": torch.full((16, 32), -2e4)})), ["not from a trained"]),
        "in range but overflowing": (_saved(_overflowing(DEEP)), ["codes or losses come out NaN or infinite"], DEEP),
    }


DEEP = ModelConfig(hidden=(64, 64, 64, 64, 64, 64))


def _overflowing(cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """Weights of ±9000 (inside the bound) in a deep model: twelve layers of them overflow float32."""
    g = torch.Generator().manual_seed(0)
    return {k: 9e3 * torch.randint(0, 2, v.shape, generator=g).mul(2).sub(1).float()
            for k, v in build(cfg, DIGITS).state_dict().items()}


WEIGHTS_CASES = _weights_cases()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on the plain pickles
@pytest.mark.parametrize("case", WEIGHTS_CASES.values(), ids=WEIGHTS_CASES.keys())
def test_a_bad_weights_file_gets_its_message(case):
    raw, words, cfg = (*case, ModelConfig())[:3]  # the settings it is uploaded under: the default unless named
    with pytest.raises(ValueError) as err:
        restored_run(raw, DIGITS, cfg, TRAIN)
    message = str(err.value)
    assert "Traceback" not in message
    for w in words:
        assert w in message, (w, message)


def test_trained_weights_stay_far_below_the_bound():
    """The bound leaves room: a model trained hard (Adam at learning rate 1, batch 8) keeps |w| < 1000."""
    data = load(DataConfig("line"))
    from aeviz import Trainer

    run = Trainer(build(ModelConfig(), data, seed=1), data, TrainConfig(lr=1.0, batch_size=8, epochs=20)).run()
    largest = max(float(v.abs().max()) for v in run.model.state_dict().values())
    assert run.error or largest < MAX_ABS_WEIGHT / 10
    if not run.error:
        restored_run(weights_to_bytes(run.model), data, ModelConfig(), run.cfg)


def test_float64_and_float16_weights_are_accepted():
    for dtype in (torch.float64, torch.float16):
        run = restored_run(_saved({k: v.to(dtype) for k, v in _state().items()}), DIGITS, ModelConfig(), TRAIN)
        assert all(p.dtype == torch.float32 for p in run.model.parameters())


# --- the zip bomb: refused before torch.load inflates it -------------------------------------------------

BOMB_CHECK = textwrap.dedent("""
    import json, resource, sys
    from aeviz import DataConfig, ModelConfig, TrainConfig, load
    from aeviz.io import restored_run
    data = load(DataConfig("digits"))
    raw = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    try:
        restored_run(raw, data, ModelConfig(), TrainConfig())
        message = None
    except ValueError as exc:
        message = str(exc)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"message": message, "growth_mb": (after - before) / 1024}))
""")


@pytest.mark.slow
def test_the_zip_bomb_is_refused_without_inflating_it(tmp_path):
    bomb = zip_bomb()
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:  # the directory only: nothing is inflated
        claimed = sum(e.file_size for e in z.infolist())
        assert any(e.compress_type == zipfile.ZIP_DEFLATED and e.file_size > 4e9 for e in z.infolist())
    assert 4e6 < len(bomb) < 5e6 and claimed > 4.2e9
    path = tmp_path / "bomb.pt"
    path.write_bytes(bomb)
    out = subprocess.run([sys.executable, "-c", BOMB_CHECK, str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["message"] and "would unpack to 4,278.2 MB" in result["message"], result
    assert result["growth_mb"] < 300, result


# --- the catalogue: links ----------------------------------------------------------------------------------

NUMERIC = {key: cls for cls, prefix in ((DataConfig, "d_"), (ModelConfig, "m_"), (TrainConfig, "t_"))
           for f in fields(cls) if (key := prefix + f.name) in SETTINGS and SETTINGS[key].kind in ("int", "float",
                                                                                                 "widths")}
LIMITS = {key: (SETTINGS[key].lo, SETTINGS[key].hi) for key in NUMERIC}
FLOAT_BAD = {"nan": "not a finite number", "inf": "not a finite number", "-inf": "not a finite number",
             "-1": "outside", "1e300": "outside", "abc": "not a number"}
INT_BAD = {"nan": "not a finite number", "inf": "not a finite number", "-1": "outside", "99999999999": "outside",
           "2.5": "not a whole number", "9" * 5000: "too long"}
HIDDEN_BAD = {**{k: v for k, v in INT_BAD.items() if k != "-1"}, "0": "outside", "-32": "not a number",
              "32--16": "not a number", "8-x": "not a number"}  # "-" separates widths: a leading one is refused
LINK_CASES = [
    (key, value, words)
    for key, cls in NUMERIC.items()
    for value, words in (HIDDEN_BAD if key == "m_hidden" else INT_BAD if isinstance(getattr(cls(), key[2:]), int)
                         else FLOAT_BAD).items()
] + [
    ("m_hidden", "0-16", "outside 1 to 1024"),
    ("m_hidden", "32-2000", "outside 1 to 1024"),
    ("m_hidden", "1-2-3-4-5-6-7", "not 1 to 6 numbers"),
    ("m_latent", "65", "outside 1 to 64"),
    ("m_mask_prob", "0.95", "outside 0 to 0.9"),
    ("t_lr", "0", "outside 0.0001 to 10"),
    ("t_batch_size", "4096", "outside 8 to 2048"),
    # values between the sidebar's options are refused, not snapped to the nearest one
    ("t_lr", "0.002", "not one of 0.0001, 0.0003, 0.001"),
    ("t_batch_size", "100", "not one of 8, 16"),
    ("m_noise_std", "0.33", "not a multiple of 0.05"),
    ("m_beta", "3", "not one of 0, 0.1, 0.25"),
    ("m_sparsity", "0.5", "not one of 0, 0.0001"),
]


def _from_query(params: dict, cls: type):
    cfgs, _ = read_settings(params)
    return next(c for c in cfgs if isinstance(c, cls))


def test_every_numeric_field_has_a_range():
    numeric = {p + f.name for cls, p in ((DataConfig, "d_"), (ModelConfig, "m_"), (TrainConfig, "t_"))
               for f in fields(cls) if type(f.default) in (int, float) or f.name == "hidden"}
    assert numeric == set(NUMERIC)
    assert all(math.isfinite(lo) and math.isfinite(hi) for lo, hi in LIMITS.values())


@pytest.mark.parametrize("key, value, words", LINK_CASES, ids=[f"{k}={v[:12]}" for k, v, _ in LINK_CASES])
def test_a_bad_link_value_keeps_the_default_and_says_so(key, value, words):
    cls = NUMERIC[key]
    params = {key: value, "m_latent" if key != "m_latent" else "t_epochs": "3"}  # a good value beside it
    cfg = _from_query(params, cls)
    assert getattr(cfg, key[2:]) == getattr(cls(), key[2:])
    problems = read_settings(params)[1]
    assert len(problems) == 1 and key in problems[0] and words in problems[0], problems
    assert "the default" in problems[0]
    if key != "m_latent" and cls is ModelConfig:
        assert cfg.latent == 3  # the good value beside it is kept


CHOICE_CASES = [
    ({"d_name": "evil"}, "d_name=evil was ignored (not one of digits, gw, line, swiss_roll"),
    ({"m_variant": "evil"}, "m_variant=evil was ignored (not one of autoencoder"),
    ({"m_activation": "evil"}, "m_activation=evil was ignored (not one of relu"),
    ({"m_recon_loss": "evil"}, "m_recon_loss=evil was ignored (not one of mse, bce)"),
    ({"m_sparse_hidden": "maybe"}, "m_sparse_hidden=maybe was ignored (not one of 1, 0, true, false)"),
    ({"d_name": "gw", "m_recon_loss": "bce"}, "m_recon_loss=bce was ignored (binary cross-entropy needs data in"),
]


@pytest.mark.parametrize("params, words", CHOICE_CASES, ids=[str(p) for p, _ in CHOICE_CASES])
def test_an_unknown_choice_is_refused_with_a_note(params, words):
    cfgs, problems = read_settings(params)
    assert len(problems) == 1 and words in problems[0], problems
    default = {"d_name": "digits", "m_variant": "autoencoder", "m_activation": "relu", "m_recon_loss": "mse",
               "m_sparse_hidden": False}
    for key in params:
        if key in default and key in problems[0]:
            cfg = next(c for c in cfgs if type(c).__name__[0].lower() == key[0])
            assert getattr(cfg, key[2:]) == default[key]


def test_values_no_widget_sets_are_kept():
    cfgs, problems = read_settings({"d_seed": "7", "d_test_size": "0.5", "t_snapshot_every": "1"})
    assert not problems
    assert (cfgs[0].seed, cfgs[0].test_size, cfgs[2].snapshot_every) == (7, 0.5, 1)


def test_values_at_the_ends_of_each_range_are_kept():
    for key, (lo, hi) in LIMITS.items():
        cls = NUMERIC[key]
        f = SETTINGS[key]
        ends = (f.options[0], f.options[-1]) if f.options else (lo, hi)
        for v in ends:
            text = str(int(v)) if isinstance(getattr(cls(), key[2:]), (int, tuple)) else repr(float(v))
            assert not read_settings({key: text})[1], (key, text)
            got = getattr(_from_query({key: text}, cls), key[2:])
            assert got == ((int(v),) if key == "m_hidden" else v), (key, got)


# --- through the pages: no exception box, the message on the page ------------------------------------------

def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _open(page: str | None = None, **params) -> AppTest:
    return open_app_page(page, params)


@pytest.mark.parametrize("params, words", [
    ({"m_variant": "denoising", "m_noise_std": "nan", "t_epochs": "2"},
     "m_noise_std=nan was ignored (not a finite number)"),
    ({"t_lr": "inf", "t_epochs": "2"}, "t_lr=inf was ignored"),
    ({"m_latent": "-3", "t_epochs": "2"}, "m_latent=-3 was ignored (outside 1 to 64)"),
    ({"m_variant": "variational", "m_beta": "1e999", "t_epochs": "2"}, "m_beta=1e999 was ignored"),
], ids=["noise nan", "lr inf", "latent -3", "beta 1e999"])
def test_a_bad_link_opens_every_page_with_a_note(params, words):
    at = _open(**params)
    notes = [w.value for w in at.sidebar.warning]
    assert any(plain(words) in n for n in notes), notes
    for page in ("pages/latent.py", "pages/reconstruction.py", "pages/train.py"):
        at.switch_page(page)
        at.run()
        _clean(at)
    if "m_noise_std" in params:
        assert at.session_state["aeviz_configs"][1].noise_std == ModelConfig().noise_std


@pytest.fixture(scope="module")
def gw_anomaly() -> AppTest:
    """The Anomaly page on gw, a model trained for 2 epochs."""
    return _open("pages/anomaly.py", d_name="gw", t_epochs="2")


PAGE_CSV = ["a row with one field too many", "a name repeated after trimming", "UTF-16 without a byte-order mark",
            "1e39, beyond float32", "Markdown in a missing column"]


@pytest.mark.parametrize("case", PAGE_CSV)
def test_a_bad_csv_on_the_anomaly_page_shows_one_message(gw_anomaly, case):
    raw, words = CSV_CASES[case]
    at = gw_anomaly
    at.file_uploader(key="an_upload").set_value(("mine.csv", raw, "text/csv")).run()
    _clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Could not score this file."), errors
    assert "[click](http" not in errors[0]  # Markdown shown escaped, as text
    assert at.get("plotly_chart")  # the page still draws
    at.file_uploader(key="an_upload").set_value(None).run()


def test_markdown_column_names_and_huge_values_are_shown_as_text_and_scored(gw_anomaly):
    raw = _csv(header=[*COLS, "![x](http://evil/x.png) **b**"], rows=[_row() + ["1"], _row(log_snr="1e20") + ["2"]])
    at = gw_anomaly
    at.file_uploader(key="an_upload").set_value(("mine.csv", raw.encode(), "text/csv")).run()
    _clean(at)
    assert not at.error
    notes = [i.value for i in at.info if "Ignored" in i.value]
    assert notes and plain("'![x](http://evil/x.png) **b**'") in notes[0], notes
    table = at.dataframe[-1].value
    assert len(table) == 2 and np.isfinite(table["error"]).all() and table["error"].iloc[1] > 1e36
    at.file_uploader(key="an_upload").set_value(None).run()


def test_uploaders_state_the_one_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == an.MAX_UPLOAD_MB
    assert an.MAX_UPLOAD_BYTES >= an.MAX_UPLOAD_MB * 1024 * 1024  # what the browser lets through, the app reads
    at = open_sections(_open("pages/anomaly.py", d_name="line", t_epochs="2"), "share_open")
    uploaders = [*at.sidebar.get("file_uploader"), *at.main.get("file_uploader")]
    assert len(uploaders) == 2
    for u in uploaders:
        assert u.proto.max_upload_size_mb == an.MAX_UPLOAD_MB
        assert f"{an.MAX_UPLOAD_MB} MB" in u.proto.help


@pytest.mark.parametrize("case", ["a zip bomb, 16 MB of zeros", "3e38, near float32's limit", "random bytes",
                                  "the legacy torch format"])
def test_a_refused_weights_file_is_read_once_and_its_message_stays(monkeypatch, case):
    from aeviz.ui import share

    calls = []

    def counting(*args, **kw):
        calls.append(1)
        return restored_run(*args, **kw)

    monkeypatch.setattr(share, "restored_run", counting)
    raw, words = WEIGHTS_CASES[case]
    at = open_sections(_open(t_epochs="2"), "share_open")  # the sidebar's upload is built once opened
    at.sidebar.get("file_uploader")[0].set_value(("mine.pt", raw, "application/octet-stream"))
    for _ in range(3):  # the file stays in the uploader across reruns
        at.run()
        _clean(at)
        errors = [e.value for e in at.sidebar.error]
        assert len(errors) == 1 and errors[0].startswith(plain("Could not use mine.pt: ")), errors
        assert plain(words[0]) in errors[0], errors
    assert len(calls) == 1
    at.sidebar.get("file_uploader")[0].set_value(("again.pt", raw, "application/octet-stream"))
    at.run()  # the same bytes under another upload: known by their hash, not read again
    assert len(calls) == 1 and any(plain("Could not use again.pt") in e.value for e in at.sidebar.error)


def test_the_real_bomb_through_the_sidebar_leaves_the_session_usable():
    at = open_sections(_open(t_epochs="2"), "share_open")
    at.sidebar.get("file_uploader")[0].set_value(("bomb.pt", zip_bomb(), "application/octet-stream"))
    at.run()
    _clean(at)
    assert any(plain("would unpack to 4,278.2 MB") in e.value for e in at.sidebar.error)
    at.switch_page("pages/latent.py")
    at.run()
    _clean(at)
    assert at.get("plotly_chart")
