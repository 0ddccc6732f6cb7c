"""Anomaly detection by reconstruction error: injected anomalies per dataset, thresholds, metrics
(from sklearn.metrics) and validation of a user's CSV file.

The idea: a model trained on normal data reconstructs normal data well; what it cannot compress,
it cannot reconstruct, so a large error flags an anomaly.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score, roc_curve
from sklearn.neighbors import NearestNeighbors

from ..datasets import Dataset
from .core import reconstruct

# gw anomalies: (μ, σ, features redrawn per event), μ and σ in standardised units. "obvious" and
# "subtle" redraw 2 of the 16 features, far from the data or near it; "literal" is the lesson's literal
# experiment, every feature redrawn near the data, which breaks every correlation at once and is caught
# about as often as "obvious" (the Anomaly page says why).
PRESETS = {"obvious": (5.0, 1.5, 2), "subtle": (1.0, 0.8, 2), "literal": (1.0, 0.8, 16)}
CORRUPTIONS = ("noise", "inverted", "blank")
MAX_UPLOAD_MB = 5  # every uploader's limit; .streamlit/config.toml's server.maxUploadSize says the same (a test checks)
# the browser counts a megabyte as 10^6 or 2^20 bytes depending on the system: accept whatever it let through
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_COLUMNS = 1_000


@dataclass(frozen=True)
class AnomalyConfig:
    """How the anomalies are made; frozen and hashable so it can key a cache.

    gw: `k` events, each a held-out event with `n_features` of its features redrawn from N(mu, sigma²)
    (n_features = 16 redraws every feature). digits: the test images of `held_out` classes (the model
    trains on the other classes only) plus `k` corrupted test images split over `corruptions`.
    line / swiss_roll: `k` test points pushed `distance` off the data along the local normal.
    """

    k: int = 50
    mu: float = PRESETS["obvious"][0]
    sigma: float = PRESETS["obvious"][1]
    n_features: int = PRESETS["obvious"][2]
    held_out: tuple[int, ...] = (7,)
    corruptions: tuple[str, ...] = CORRUPTIONS
    noise_std: float = 0.5
    distance: float = 1.0
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Scenario:
    """Held-out normal rows and injected anomalies, with their reconstructions and errors."""

    X_normal: np.ndarray  # (n_normal, features)
    X_anomalous: np.ndarray  # (n_anomalous, features)
    recon_normal: np.ndarray  # (n_normal, features)
    recon_anomalous: np.ndarray  # (n_anomalous, features)
    kinds: tuple[str, ...]  # one description per anomaly, e.g. "digit 7" or "noise"
    normal: np.ndarray = field(init=False)  # (n_normal,) reconstruction MSE
    anomalous: np.ndarray = field(init=False)  # (n_anomalous,)

    def __post_init__(self):
        object.__setattr__(self, "normal", ((self.recon_normal - self.X_normal) ** 2).mean(axis=1))
        object.__setattr__(self, "anomalous", ((self.recon_anomalous - self.X_anomalous) ** 2).mean(axis=1))


def _pick(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k row indices out of n, without replacement when there are enough rows."""
    return rng.choice(n, size=k, replace=k > n)


def gw_anomalies(X: np.ndarray, k: int, mu: float, sigma: float, n_features: int,
                 rng: np.random.Generator) -> np.ndarray:
    """k events (k, features): copies of rows of X with `n_features` random features drawn from N(mu, sigma²)."""
    base = X[_pick(len(X), k, rng)].astype(np.float32, copy=True)  # (k, features)
    n_features = int(min(max(n_features, 1), X.shape[1]))
    for row in base:
        cols = rng.choice(X.shape[1], size=n_features, replace=False)
        row[cols] = rng.normal(mu, sigma, n_features)
    return base


def corrupt_images(X: np.ndarray, kind: str, rng: np.random.Generator, noise_std: float = 0.5) -> np.ndarray:
    """Corrupted copies (n, pixels) of images in [0, 1]: "noise" (Gaussian, clipped), "inverted" or "blank"."""
    if kind == "noise":
        return np.clip(X + rng.normal(0, noise_std, X.shape), 0, 1).astype(np.float32)
    if kind == "inverted":
        return (1.0 - X).astype(np.float32)
    if kind == "blank":
        return np.zeros_like(X, dtype=np.float32)
    raise ValueError(f"Unknown corruption {kind!r}; choose one of {CORRUPTIONS}.")


def local_normals(points: np.ndarray, reference: np.ndarray, n_neighbors: int = 15) -> np.ndarray:
    """Unit vectors (n, dims) normal to the data near each point: the least-variance principal axis
    of its nearest reference neighbours (the normal of a line in 2-D, of a sheet in 3-D)."""
    nn = NearestNeighbors(n_neighbors=min(n_neighbors, len(reference))).fit(reference)
    _, idx = nn.kneighbors(points)  # (n, n_neighbors)
    normals = np.empty(points.shape, dtype=np.float64)
    for i, rows in enumerate(idx):
        normals[i] = PCA(n_components=points.shape[1]).fit(reference[rows]).components_[-1]
    return normals


def off_manifold(points: np.ndarray, reference: np.ndarray, distance: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of `points` (n, dims) moved `distance` off the data, along the local normal, random side."""
    normals = local_normals(points, reference)  # (n, dims)
    side = rng.choice([-1.0, 1.0], size=(len(points), 1))
    return (points + side * distance * normals).astype(np.float32)


def normal_subset(data: Dataset, held_out: tuple[int, ...]) -> Dataset:
    """The dataset with every row of the `held_out` labels removed from both splits (train on normal only)."""
    keep = ~np.isin(data.y, np.asarray(held_out, dtype=np.int64))
    return replace(data, train_idx=data.train_idx[keep[data.train_idx]], test_idx=data.test_idx[keep[data.test_idx]])


def make_anomalies(data: Dataset, cfg: AnomalyConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(held-out normal rows, anomalies, one description per anomaly) for this dataset and config."""
    rng = np.random.default_rng(cfg.seed)
    normal_idx = normal_subset(data, cfg.held_out).test_idx if data.kind == "image" else data.test_idx
    X_normal = data.X[normal_idx]  # (n_normal, features)
    parts: list[np.ndarray] = []
    kinds: list[str] = []
    if data.kind == "image":
        for c in cfg.held_out:
            rows = data.X[data.test_idx][data.y_test == c]
            parts.append(rows)
            kinds += [f"digit {data.label_names[c]}"] * len(rows)
        chosen = [c for c in CORRUPTIONS if c in cfg.corruptions]
        for j, kind in enumerate(chosen):
            n = cfg.k // len(chosen) + (j < cfg.k % len(chosen))
            parts.append(corrupt_images(X_normal[_pick(len(X_normal), n, rng)], kind, rng, cfg.noise_std))
            kinds += [kind] * n
    elif data.kind == "tabular":
        parts.append(gw_anomalies(X_normal, cfg.k, cfg.mu, cfg.sigma, cfg.n_features, rng))
        kinds += [f"injected (μ={cfg.mu:g}, σ={cfg.sigma:g})"] * cfg.k
    else:
        base = X_normal[_pick(len(X_normal), cfg.k, rng)]
        parts.append(off_manifold(base, data.X_train, cfg.distance, rng))
        kinds += [f"{cfg.distance:g} off the data"] * cfg.k
    X_anom = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, data.n_features), np.float32)
    return X_normal, X_anom, tuple(kinds)


def scenario(data: Dataset, model, cfg: AnomalyConfig) -> Scenario:
    """Score the held-out normal rows and the injected anomalies with `model`."""
    X_normal, X_anom, kinds = make_anomalies(data, cfg)
    empty = np.zeros((0, data.n_features), np.float32)
    return Scenario(X_normal, X_anom, reconstruct(model, X_normal),
                    reconstruct(model, X_anom) if len(X_anom) else empty, kinds)


def threshold(normal_errors: np.ndarray, mode: str, value: float) -> float:
    """The error above which a row is flagged: `value` as a percentile of the normal errors, or raw."""
    if mode == "percentile":  # in float64, as the threshold chart's JS computes it
        return float(np.percentile(np.asarray(normal_errors, dtype=np.float64), value))
    if mode == "raw":
        return float(value)
    raise ValueError(f"Unknown threshold mode {mode!r}; use 'percentile' or 'raw'.")


def _labels(normal: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, scores): 0 for normal, 1 for anomalous, and the errors in the same order."""
    y = np.concatenate([np.zeros(len(normal), int), np.ones(len(anomalous), int)])
    return y, np.concatenate([normal, anomalous]).astype(float)


def detection_metrics(normal: np.ndarray, anomalous: np.ndarray, thr: float) -> dict:
    """Counts and rates when errors strictly above `thr` are flagged (anomalous is the positive class)."""
    y, s = _labels(normal, anomalous)
    pred = (s > thr).astype(int)
    cm = confusion_matrix(y, pred, labels=[0, 1])  # rows: true normal/anomalous; cols: predicted
    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    return {
        "tp": tp, "fp": fp, "tn": tn, "fn": fn, "confusion": cm,
        "detection_rate": float(recall_score(y, pred, zero_division=0)) if tp + fn else math.nan,
        "false_positive_rate": fp / (fp + tn) if fp + tn else math.nan,
        "precision": float(precision_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
    }


def roc(normal: np.ndarray, anomalous: np.ndarray) -> dict:
    """The ROC curve (fpr, tpr, thresholds) and its AUC; needs at least one row of each class."""
    y, s = _labels(normal, anomalous)
    fpr, tpr, thr = roc_curve(y, s)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thr, "auc": float(roc_auc_score(y, s))}


def top_flagged(errors: np.ndarray, thr: float, k: int = 6, groups=None, per_group: int | None = None) -> np.ndarray:
    """Indices of the (at most k) largest errors above `thr`, largest first; with `groups` (one name per
    row), at most `per_group` from each group, so one kind of anomaly does not fill every slot."""
    order = np.argsort(errors, kind="stable")[::-1]
    order = order[errors[order] > thr]
    if groups is None or per_group is None:
        return order[:k]
    taken: dict = {}
    chosen = []
    for i in order:
        if taken.get(groups[i], 0) < per_group:
            taken[groups[i]] = taken.get(groups[i], 0) + 1
            chosen.append(i)
        if len(chosen) == k:
            break
    return np.array(chosen, dtype=int)


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
