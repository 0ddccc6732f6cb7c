"""bench/abuse.py's uploaders (issue 18): students who each upload a table of their own into the sidebar's
"Your own table" and train on it, while the class follows the default lesson. `python bench/abuse.py
--uploaders 10` runs them; this module holds the table they send, the client and its printout."""

from __future__ import annotations

import asyncio
import time

import websockets

from abuse import DATASET_BOX, NO_TABLE, STOPPED, SUCCESS, TABLE_UPLOADER, UPLOADER_PAGES, Tab, _connect


def upload_table(mb: float, cols: int = 12, seed: int = 0) -> tuple[bytes, int]:
    """A numeric CSV of at most `mb` MB (MiB, as the upload limit) and at most the training reader's rows:
    `cols` columns driven by three factors, five decimals each; returns (bytes, rows)."""
    import numpy as np

    from aeviz.datasets.csv import MAX_TRAIN_ROWS

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(MAX_TRAIN_ROWS, 3)) @ rng.normal(size=(3, cols)) + 0.1 * rng.normal(size=(MAX_TRAIN_ROWS, cols))
    head = ",".join(f"sensor_{j}" for j in range(cols)) + "\n"
    out, size = [head], len(head)
    for row in X:
        line = ",".join(f"{v:.5f}" for v in row) + "\n"
        if size + len(line) > mb * 2**20:
            break
        out.append(line)
        size += len(line)
    return "".join(out).encode(), len(out) - 1


def accepted_table(mb: float) -> tuple[bytes, int, str]:
    """The table the uploaders send: `mb` MB if aeviz trains on it with the default settings, else the
    largest accepted (halving the rows); returns (bytes, rows, the note saying which and why)."""
    from aeviz.budget import over_budget
    from aeviz.config import ModelConfig, TrainConfig
    from aeviz.datasets import from_csv

    raw, rows = upload_table(mb)
    t0 = time.perf_counter()
    while True:
        try:
            data = from_csv(raw, random_state=42)
            refusal = over_budget(ModelConfig(), TrainConfig(), len(data.X_train), data.n_features)
        except ValueError as exc:
            refusal = str(exc)
        if refusal is None:
            note = (f"{len(raw) / 2**20:.2f} MB, {rows:,} rows × {data.n_features} columns (read by aeviz in "
                    f"{time.perf_counter() - t0:.1f} s)")
            return raw, rows, note if len(raw) > 0.9 * mb * 2**20 else f"{note}; the {mb} MB table was refused: {refusal}"
        raw = raw[:raw.rindex(b"\n", 0, len(raw) // 2) + 1]
        rows = raw.count(b"\n") - 1


class Uploader:
    """One student with a table of their own: chooses "Your own table", uploads it, opens the pages that train
    on it and show it; keeps each step's seconds and what went wrong."""

    def __init__(self, url: str, k: int, timeout: float, table: bytes, after: float = 0.0):
        self.url, self.k, self.timeout, self.table, self.after = url, k, timeout, table, after
        self.seconds: dict[str, float] = {}
        self.timeline: list[tuple[str, float, float]] = []  # (step, when it began, seconds), perf_counter
        self.errors: list[str] = []
        self.shows = {"latent": "Draw N points", "anomaly": "Scored:"}  # a text each page shows past its model

    def _check(self, step: str, tab: Tab, status, texts: list[str] = ()) -> None:
        if any(t.startswith(NO_TABLE) for t in texts):  # the table was lost on the way: the pages have nothing
            self.errors.append(f"{step}: the page found no table")
        if step in self.shows and not any(t.startswith(self.shows[step]) for t in texts):
            self.errors.append(f"{step}: the page did not show its model ({self.shows[step]!r})")
        if status not in SUCCESS:
            self.errors.append(f"{step}: run ended with status {status}")
        self.errors += [f"{step}: {t[:150]}" for t in [*tab.exceptions, *tab.error_alerts]]
        self.errors += [f"{step}: {t[:150]}" for t in tab.alerts if any(s in t for s in STOPPED)]
        tab.exceptions, tab.error_alerts, tab.alerts = [], [], []

    async def go(self, start: asyncio.Event) -> None:
        """Upload and train once (all uploaders start together, `after` seconds into the class)."""
        await start.wait()
        await asyncio.sleep(self.after)
        try:
            async with _connect(self.url, self.timeout) as ws:
                tab = Tab(ws, self.timeout)
                status, _ = await tab.run(tab.page(""))
                self._check("open", tab, status)
                t0 = time.perf_counter()
                status, _ = await tab.choose(DATASET_BOX, "Your own table")
                self._check("choose", tab, status)
                if TABLE_UPLOADER not in tab.uploaders:
                    self.errors.append("no table uploader in the sidebar")
                    return
                t1 = time.perf_counter()
                status, texts, http = await tab.upload(self.url, TABLE_UPLOADER, f"table{self.k}.csv", self.table)
                self.seconds["upload and read"] = time.perf_counter() - t1
                self.timeline.append(("upload and read", t1, self.seconds["upload and read"]))
                if status is None:
                    self.errors.append(f"upload refused by HTTP {http}")
                    return
                self._check("upload", tab, status)
                for page in UPLOADER_PAGES:  # a page change that sends every widget's value, as a browser does
                    t1 = time.perf_counter()
                    status, texts = await tab.run(tab.every_widget(page))
                    self.seconds[page] = time.perf_counter() - t1
                    self.timeline.append((page, t1, self.seconds[page]))
                    self._check(page, tab, status, texts)
                self.seconds["total"] = time.perf_counter() - t0
        except TimeoutError:
            self.errors.append(f"timeout: no script_finished within {self.timeout:.0f} s")
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            self.errors.append(f"connection: {type(exc).__name__}: {str(exc)[:150]}")


def print_uploaders(p: dict, ratio: dict | None, table_note: str | None, ratio_target: float, memory_mb: float) -> None:
    """The uploaders' phase against the class alone: the students' errors, the p95 ratio, peak RSS, and what
    the uploaders themselves saw."""
    shown = "—" if not ratio or ratio["all"] is None else f"{ratio['all']:.2f}"
    print(f"\n{p['uploaders']} uploaders, each with its own table ({table_note}), while {p['sessions']} students "
          "follow the default lesson:")
    print(f"  the students' errors: {p['errors']} (want 0); p95 render with uploaders / without: "
          f"{shown} (want < {ratio_target}); peak RSS {p['peak_rss_mb']:.0f} MB "
          f"(want < {memory_mb})")
    later = ratio.get("later lessons") if ratio else None
    if later is not None:
        print(f"  p95 ratio of the lessons after each student's first (the class under way; the first lesson's "
              f"cold renders set the p95 of every render): {later:.2f} (first lessons alone: "
              f"{ratio['first lesson']:.2f})")
    for step, st in p["uploader_s"].items():
        if st["n"]:
            print(f"  uploader {step:<16} s (med / p95 / max): {st['median']:.1f} / {st['p95']:.1f} / {st['max']:.1f}"
                  f"  (n = {st['n']})")
    print(f"  uploader errors: {len(p['uploader_errors'])}")
    for e in p["uploader_errors"][:10]:
        print(f"    {e}")
