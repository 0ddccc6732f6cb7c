"""A class under attack: protocol-level students do the usual lesson while hostile clients send the worst
links and uploads of issue 10, on one server; compared with the same class on a server left alone.

    python bench/abuse.py [--sessions 30] [--hostile 3] [--seconds 90] [--bomb-mb 1024]

Two phases in one command, each on a fresh server (tests/conftest.py start_server, via load_protocol):
*baseline* = the students alone, *abuse* = the students and `--hostile` hostile clients. Each student
(a load_protocol.Session: one websocket speaking Streamlit's protocol, no browser) repeats the usual
lesson until `--seconds` have passed (at least once): open the default link, then the latent, the
reconstruction and the anomaly pages, timing each page from the rerun sent to the script finished.
Student errors: exception elements, error alerts, runs that end other than successfully or stop early
(a training "stopped before it finished", a cancelled one), timeouts and connection failures.

Each hostile client loops over six actions until the class is done, client j starting at the
(2j)-th, so that three clients do all six within their first two rounds:
  heavy link   `m_latent=64&t_epochs=1000&t_seed=N`, N = 1, 2, 3, ... over all clients, on the latent
               page: in the budget, each a new run to train and store; opened in a tab of its own that
               waits for its training (so the run is not cancelled) while the client goes on, at most
               `--heavy-tabs` (2) such tabs per client at once;
  bomb         a weights file under a correct key name (encoder.0.weight) whose zip entry deflates
               `--bomb-mb` MB of zeros into about a thousandth of that, on the sidebar's weights uploader
               (default page), then the latent, reconstruction and anomaly pages in the same tab, the
               file still in the uploader as a browser keeps it (a refused file must not be read again);
  worst link   `m_variant=contractive&m_hidden=1024-...-1024&m_latent=64&t_epochs=1000&t_batch_size=8`
               on every page (the server must refuse it before training);
  csv 1e20     a CSV with the digits' 64 columns and cells of 1e20, on the anomaly page's uploader,
               then the anomaly page again;
  huge weights the default model's state dict with every value 3e38, as the bomb;
  nan link     `?m_noise_std=nan` on every page.
Uploads go through Streamlit's upload endpoint as the browser sends them: a file_urls_request on the
websocket, a multipart PUT to /_stcore/upload_file/<session>/<file> (with an XSRF cookie and header
that match), then a rerun whose widget state names the file.

With `--uploaders N` (issue 18) a third phase runs on a fresh server: the same students while N other
clients each upload a table of `--upload-mb` MB (5: the upload limit; numeric columns, at most the
training reader's row limit) into the sidebar's "Your own table" and train on it at once (`--upload-after S`:
S seconds into the class, e.g. once its first lesson is done; 0, the default, with its first page): each chooses the
dataset (the select box's widget state), sends the file as a browser does, then opens the latent page
(which trains the session's own run in the background, with the budget check, and waits for it) and the
anomaly page (the same run, scored against injected anomalies). `--no-abuse` leaves out the hostile phase. If the table is refused
(over the training size limit or the budget), the phase says so and uses the largest table accepted.

Printed: per phase, each page's render median and p95, student errors, the abuse/baseline p95 ratio
(target below 1.5), the server's peak RSS (process + children, /proc every 0.2 s; target below 1 GB),
the trainings the server logged (AEVIZ_TRAIN_LOG), tracebacks on its stderr, and what the hostile
clients saw per action (refusals, error messages, exceptions, timeouts). Results: bench/results/abuse.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import itertools
import json
import os
import pickle
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections import Counter
from pathlib import Path

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileURLsRequest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # aeviz itself, for the hostile files

from load_protocol import ROOT, Session, _start, _stop, run_async, stats
from load_test import MEMORY_LIMIT_MB, MemorySampler, rss_mb, training_runs

RESULTS = ROOT / "bench" / "results" / "abuse.json"
LESSON = (("default", ""), ("latent", "latent"), ("reconstruction", "reconstruction"), ("anomaly", "anomaly"))
ALL_PAGES = ("", "train", "architecture", "latent", "reconstruction", "anomaly", "compare")
WORST = "m_variant=contractive&m_hidden=1024-1024-1024-1024-1024-1024&m_latent=64&t_epochs=1000&t_batch_size=8"
NAN = "m_noise_std=nan"
HEAVY = "m_latent=64&t_epochs=1000&t_seed={seed}"
REFUSAL = ("this server allows", "trains at most")  # aeviz/budget.py's two refusals
STOPPED = ("stopped before it finished", "Training cancelled", "You cancelled the training")  # aeviz/ui/runs.py
WEIGHTS_UPLOADER, CSV_UPLOADER = "share_upload_0", "an_upload"  # aeviz/ui/share.py, aeviz/ui/anomaly.py
TABLE_UPLOADER, DATASET_BOX = "tbl_file", "w_dataset"  # aeviz/ui/table_upload.py, aeviz/ui/sidebar.py
UPLOADER_PAGES = ("latent", "anomaly")  # what an uploader opens after its upload (the latent page trains its run)
NO_TABLE = ("Upload a table first", "Your table cannot be trained on")  # aeviz/ui/table_upload.py
RATIO_TARGET = 1.5
ACTIONS = ("heavy link", "bomb", "worst link", "csv 1e20", "huge weights", "nan link")  # client j starts at 2j
SUCCESS = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


# ---------------------------------------------------------------- a tab that also sees alerts and uploaders

class Tab(Session):
    """A load_protocol Session that also keeps error alerts, every alert's text and the file uploaders."""

    def __init__(self, ws, timeout: float):
        super().__init__(ws, timeout)
        self.error_alerts: list[str] = []
        self.alerts: list[str] = []
        self.uploaders: dict[str, tuple[str, str]] = {}  # user key -> (widget id, fragment id)
        self.boxes: dict[str, tuple[str, str]] = {}  # select boxes: user key -> (widget id, fragment id)
        self.values: dict[str, object] = {}  # widget id -> the WidgetState a browser would send for it now
        self.held: list = []  # widget states a browser keeps sending (the files in the uploaders)
        self.progress = ""  # the last progress bar's text (a training's "epoch k of n")

    def _delta(self, msg: ForwardMsg, texts: list[str]) -> None:
        super()._delta(msg, texts)
        if msg.delta.WhichOneof("type") != "new_element":
            return
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "alert":
            self.alerts.append(el.alert.body)
            if el.alert.format == Alert.ERROR:
                self.error_alerts.append(el.alert.body)
        elif kind == "progress":
            self.progress = el.progress.text
        elif kind == "file_uploader":
            for key in (WEIGHTS_UPLOADER, CSV_UPLOADER, TABLE_UPLOADER):
                if el.file_uploader.id.endswith("-" + key):
                    self.uploaders[key] = (el.file_uploader.id, msg.delta.fragment_id)
        elif kind == "selectbox" and el.selectbox.id.endswith("-" + DATASET_BOX):
            self.boxes[DATASET_BOX] = (el.selectbox.id, msg.delta.fragment_id)
        if kind in ("checkbox", "selectbox", "radio", "text_input", "number_input", "slider"):
            self._keep(kind, getattr(el, kind))

    def _keep(self, kind: str, w) -> None:
        """Remember the value widget `w` shows, as the WidgetState a browser sends back on every rerun (a widget
        drawn again without a value set by the script keeps the value the browser holds)."""
        if w.id in self.values and not w.set_value:
            return
        state = BackMsg().rerun_script.widget_states.widgets.add(id=w.id)
        if kind == "checkbox":
            state.bool_value = w.value
        elif kind in ("selectbox", "radio"):
            state.string_value = w.raw_value if w.set_value else w.options[w.default]
        elif kind == "text_input":
            state.string_value = w.value if w.set_value else w.default
        elif kind == "number_input":
            value = w.value if w.set_value else w.default
            if w.data_type == NumberInput.INT:
                state.int_value = int(value)
            else:
                state.double_value = value
        elif w.options:  # a select slider: the options' texts
            state.string_array_value.data.extend(w.raw_value if w.set_value else [w.options[int(i)] for i in w.default])
        else:
            state.double_array_value.data.extend(w.value if w.set_value else w.default)
        self.values[w.id] = state

    def every_widget(self, page_name: str) -> ClientState:
        """The rerun a browser sends to open `page_name`: every widget's value as shown, and the held files."""
        state = ClientState(page_name=page_name)
        held = {w.id for w in self.held}
        for w in [*(v for k, v in self.values.items() if k not in held), *self.held]:
            state.widget_states.widgets.add().CopyFrom(w)
        return state

    def page(self, page_name: str) -> ClientState:
        """The rerun a browser sends to open `page_name` ("" = the default page) with this tab's query
        and the files still in its uploaders."""
        state = ClientState(page_name=page_name) if page_name else ClientState()
        for w in self.held:
            state.widget_states.widgets.add().CopyFrom(w)
        return state

    async def choose(self, key: str, option: str) -> tuple[ForwardMsg.ScriptFinishedStatus, list[str]]:
        """Choose `option` (the text the select box shows) in the select box `key`, kept as a browser keeps it."""
        widget_id, fragment = self.boxes[key]
        w = BackMsg().rerun_script.widget_states.widgets.add(id=widget_id, string_value=option)
        self.held.append(w)
        state = ClientState(page_script_hash=self.page_hash, fragment_id=fragment)
        for h in self.held:
            state.widget_states.widgets.add().CopyFrom(h)
        return await self.run(state)

    async def upload(self, base_url: str, key: str, name: str, data: bytes) -> tuple[ForwardMsg.ScriptFinishedStatus | None, list[str], str]:
        """Put `data` into the uploader `key` as the browser does; returns (status, texts, http outcome)."""
        widget_id, fragment = self.uploaders[key]
        req = BackMsg(file_urls_request=FileURLsRequest(request_id=uuid.uuid4().hex, file_names=[name]))
        await self.ws.send(req.SerializeToString())
        async with asyncio.timeout(self.timeout):
            while True:
                msg = ForwardMsg.FromString(await self.ws.recv())
                if msg.WhichOneof("type") == "file_urls_response":
                    urls = msg.file_urls_response.file_urls[0]
                    break
        http = await asyncio.to_thread(_put, base_url + urls.upload_url, name, data)
        if http != "204":
            return None, [], http
        state = ClientState(page_script_hash=self.page_hash, fragment_id=fragment)
        for h in self.held:  # the other widgets a browser keeps (the dataset chosen, ...)
            state.widget_states.widgets.add().CopyFrom(h)
        w = state.widget_states.widgets.add(id=widget_id)
        info = w.file_uploader_state_value.uploaded_file_info.add(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        self.held.append(w)
        status, texts = await self.run(state)
        return status, texts, http


def _put(url: str, name: str, data: bytes) -> str:
    """The browser's multipart PUT of one file, with a matching XSRF cookie and header; the HTTP status."""
    token, boundary = os.urandom(16).hex(), uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": token,
        "Cookie": f"_streamlit_xsrf={token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except OSError as exc:
        return type(exc).__name__


def _ws(url: str) -> str:
    return url.replace("http", "ws", 1) + "/_stcore/stream"


def _connect(url: str, timeout: float):
    return websockets.connect(_ws(url), subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                              ping_interval=None)


# ---------------------------------------------------------------- students

async def lesson(url: str, timeout: float, rng: random.Random, out: dict) -> None:
    """One pass through the usual lesson in a new tab; appends render times and errors to `out`."""
    async with _connect(url, timeout) as ws:
        tab = Tab(ws, timeout)
        for name, page in LESSON:
            t0 = time.perf_counter()
            status, texts = await tab.run(tab.page(page))
            out["render_s"][name].append(time.perf_counter() - t0)
            out["timeline"].append((name, t0, out["render_s"][name][-1]))
            if not out["lessons"]:
                out["first_s"].append(out["render_s"][name][-1])
            else:  # the class under way: each student's lessons after its first (cold) one
                out["later_s"].append(out["render_s"][name][-1])
            if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                out["errors"].append(("failed run", f"{name}: status {status}"))
            stopped = [t for t in tab.alerts if any(s in t for s in STOPPED)]
            out["errors"] += [("training stopped", f"{name}: {t[:150]}") for t in stopped]
            out["errors"] += [("error alert", f"{name}: {t[:150]}") for t in tab.error_alerts]
            out["errors"] += [("exception element", f"{name}: {e}") for e in tab.exceptions]
            tab.alerts, tab.error_alerts, tab.exceptions = [], [], []
            await asyncio.sleep(rng.uniform(0.5, 1.5))  # a student reads before moving on


async def student(url: str, i: int, seconds: float, timeout: float, start: asyncio.Event) -> dict:
    """One student: the lesson, again and again in new tabs, until `seconds` have passed (at least once)."""
    rng = random.Random(i)
    out = {"session": i, "lessons": 0, "render_s": {name: [] for name, _ in LESSON}, "first_s": [],
           "later_s": [], "errors": [], "timeline": []}
    await start.wait()
    t0 = time.perf_counter()
    while True:
        try:
            await lesson(url, timeout, rng, out)
            out["lessons"] += 1
        except TimeoutError:
            out["errors"].append(("timeout", f"no script_finished within {timeout:.0f} s"))
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            out["errors"].append(("connection", f"{type(exc).__name__}: {str(exc)[:150]}"))
        if time.perf_counter() - t0 > seconds:
            return out
        await asyncio.sleep(rng.uniform(1.0, 3.0))


# ---------------------------------------------------------------- the hostile files

class _Storage:
    """Stands for the one storage of the bomb's tensor while its pickle is written."""


def weights_bomb(inflated_mb: int, key: str = "encoder.0.weight", cols: int = 64) -> bytes:
    """A torch.save-format zip whose one tensor (`key`, float32 zeros) inflates to `inflated_mb` MB,
    deflated (about 1000:1); written in chunks, so building it never holds the inflated tensor."""
    rows = max(1, inflated_mb * 2**20 // (4 * cols))
    storage = _Storage()

    class Tensor:
        def __reduce__(self):
            import torch

            return torch._utils._rebuild_tensor_v2, (storage, 0, (rows, cols), (cols, 1), False,
                                                     collections.OrderedDict())

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            import torch

            return ("storage", torch.FloatStorage, "0", "cpu", rows * cols) if obj is storage else None

    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump({key: Tensor()})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("archive/data.pkl", pkl.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            zeros, left = bytes(2**24), rows * cols * 4
            while left > 0:
                f.write(zeros[:min(left, len(zeros))])
                left -= len(zeros)
    return out.getvalue()


def huge_weights() -> bytes:
    """The default model's state dict (digits, the sidebar's defaults) with every value 3e38."""
    import torch

    from aeviz.config import DataConfig, ModelConfig
    from aeviz.datasets import load
    from aeviz.io import weights_to_bytes
    from aeviz.models import build

    model = build(ModelConfig(), load(DataConfig()), seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(3e38)
    return weights_to_bytes(model)


def huge_csv(rows: int = 5) -> bytes:
    """A CSV with the default dataset's columns and every other cell 1e20 (the rest 0.5)."""
    from aeviz.config import DataConfig
    from aeviz.datasets import load

    names = load(DataConfig()).feature_names
    lines = [",".join(names)] + [",".join("1e20" if (r + c) % 2 else "0.5" for c in range(len(names)))
                                 for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def hostile_files(bomb_mb: int) -> dict[str, tuple[str, str, bytes]]:
    """action -> (uploader key, file name, bytes); the bomb is cached under the temp folder."""
    cache = Path(tempfile.gettempdir()) / f"aeviz-abuse-bomb-{bomb_mb}mb.pt"
    if not cache.exists():
        t0 = time.perf_counter()
        cache.write_bytes(weights_bomb(bomb_mb))
        print(f"built the weights bomb ({bomb_mb} MB inflated, {cache.stat().st_size / 2**20:.1f} MB on disk) "
              f"in {time.perf_counter() - t0:.0f} s: {cache}")
    return {"bomb": (WEIGHTS_UPLOADER, "bomb.pt", cache.read_bytes()),
            "huge weights": (WEIGHTS_UPLOADER, "huge.pt", huge_weights()),
            "csv 1e20": (CSV_UPLOADER, "huge.csv", huge_csv())}


# ---------------------------------------------------------------- hostile clients

def _outcome(tab: Tab, status, texts: list[str]) -> str:
    """What one hostile request ended in, most telling first."""
    if tab.exceptions:
        return "exception"
    if any(r in t for t in texts for r in REFUSAL):
        return "refused (budget)"
    if tab.error_alerts:
        return "error message"
    if any(s in t for t in tab.alerts for s in STOPPED):
        return "training stopped"
    if status not in SUCCESS:
        return f"run ended with status {status}"
    return "served"


class Hostile:
    """One hostile client: loops over ACTIONS until told to stop; tallies what the server answered."""

    def __init__(self, url: str, j: int, timeout: float, files: dict, seeds, heavy_tabs: int = 2):
        self.url, self.j, self.timeout, self.files, self.seeds = url, j, timeout, files, seeds
        self.heavy_tabs = heavy_tabs
        self.seen: dict[str, Counter] = {a: Counter() for a in ACTIONS}
        self.messages: dict[str, Counter] = {a: Counter() for a in ACTIONS}
        self.windows: list[tuple[str, float, float]] = []  # (action, start, end) of each round, perf_counter
        self.heavy: list[asyncio.Task] = []  # tabs still waiting for a heavy link's training

    def _note(self, action: str, outcome: str, tab: Tab | None, texts: list[str] = (), notes: list[str] = ()) -> None:
        """Count `outcome` and every exception, error alert, refusal and note the tab showed (each time shown)."""
        self.seen[action][outcome] += 1
        if tab is not None:
            refusals = [t for t in texts if any(r in t for r in REFUSAL) and t not in tab.error_alerts]
            for t in [*tab.exceptions, *tab.error_alerts, *refusals, *notes]:
                self.messages[action][t[:160]] += 1

    async def _open(self, action: str, query: str, page: str, tabs: list) -> None:
        """Open `page` with `query` in a new tab, as a link would; note the outcome."""
        tab = None
        try:
            async with _connect(self.url, self.timeout) as ws:
                tab = Tab(ws, self.timeout)
                tabs.append(tab)
                tab.query_string = query
                status, texts = await tab.run(tab.page(page))
                self._note(action, _outcome(tab, status, texts), tab, texts)
        except TimeoutError:
            self._note(action, "timeout", tab)
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            self._note(action, f"connection: {type(exc).__name__}", tab)

    async def _upload(self, action: str) -> None:
        """Upload the action's file into its uploader on the page that has it, then open the pages that use it."""
        key, name, data = self.files[action]
        page = "anomaly" if key == CSV_UPLOADER else ""
        tab = None
        try:
            async with _connect(self.url, self.timeout) as ws:
                tab = Tab(ws, self.timeout)
                await tab.run(tab.page(page))
                if key not in tab.uploaders:
                    self._note(action, "no uploader on the page", tab)
                    return
                tab.exceptions, tab.error_alerts, tab.alerts = [], [], []
                status, texts, http = await tab.upload(self.url, key, name, data)
                if status is None:
                    self._note(action, f"upload refused by HTTP {http}", None)
                    return
                notes = [t for t in tab.alerts if t not in tab.error_alerts]  # what the upload's own run said
                # then the pages that would use the file (a refused file stays in the uploader and must not
                # be read again; accepted weights now drive every page of this session)
                for then in (("anomaly",) if key == CSV_UPLOADER else ("latent", "reconstruction", "anomaly")):
                    s2, t2 = await tab.run(tab.page(then))
                    status, texts = (s2 if status in SUCCESS else status), texts + t2
                self._note(action, _outcome(tab, status, texts), tab, texts, notes)
        except TimeoutError:
            self._note(action, "timeout", tab)
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            self._note(action, f"connection: {type(exc).__name__}", tab)

    async def act(self, action: str) -> None:
        """One round of `action`. A heavy link opens in a tab of its own that waits for its training while
        this client goes on (at most `heavy_tabs` such tabs open at once: then it waits for the oldest)."""
        if action == "heavy link":
            if len(self.heavy) >= self.heavy_tabs:
                await asyncio.wait([self.heavy[0]])
            self.heavy = [t for t in self.heavy if not t.done()]
            self.heavy.append(asyncio.create_task(self._timed(action)))
            return
        await self._timed(action)

    async def _timed(self, action: str) -> None:
        t0, tabs = time.perf_counter(), []
        try:
            await self._act(action, tabs)
        except asyncio.CancelledError:  # the class is over and this request still waits (a long training)
            self._note(action, "still waiting when the class ended", None)
            at = tabs[-1].progress if tabs and tabs[-1].progress else "no progress shown"
            self.messages[action][f"still waiting after {time.perf_counter() - t0:.0f} s at: {at}"[:160]] += 1
            raise
        finally:
            self.windows.append((action, t0, time.perf_counter()))

    async def _act(self, action: str, tabs: list) -> None:
        if action == "worst link":
            for page in ALL_PAGES:
                await self._open(action, WORST, page, tabs)
        elif action == "nan link":
            for page in ALL_PAGES:
                await self._open(action, NAN, page, tabs)
        elif action == "heavy link":
            await self._open(action, HEAVY.format(seed=next(self.seeds)), "latent", tabs)
        else:
            await self._upload(action)

    async def loop(self, start: asyncio.Event, done: asyncio.Event) -> None:
        """Run the actions in turn (this client starting at its own place) until `done` is set."""
        await start.wait()
        order = ACTIONS[2 * self.j % len(ACTIONS):] + ACTIONS[:2 * self.j % len(ACTIONS)]  # all six in two rounds
        for action in itertools.cycle(order):
            if done.is_set():
                return
            await self.act(action)


async def drive(url: str, sessions: int, hostile: int, seconds: float, timeout: float,
                files: dict, heavy_tabs: int = 2, uploaders: list = ()) -> tuple[list[dict], list[Hostile]]:
    """The students, the hostile clients and the uploaders at once; the hostile ones stop when the last
    student is done (the students' class lasts until the uploaders are done too)."""
    start, done = asyncio.Event(), asyncio.Event()
    seeds = itertools.count(1)
    hostiles = [Hostile(url, j, timeout, files, seeds, heavy_tabs) for j in range(hostile)]
    students = [asyncio.create_task(student(url, i, seconds, timeout, start)) for i in range(sessions)]
    loops = [asyncio.create_task(h.loop(start, done)) for h in hostiles]
    students += [asyncio.create_task(u.go(start)) for u in uploaders]
    await asyncio.sleep(0.1)
    start.set()
    results = [r for r in await asyncio.gather(*students) if r is not None]
    done.set()
    _, pending = await asyncio.wait(loops, timeout=5) if loops else (None, [])
    pending = [*pending, *(t for h in hostiles for t in h.heavy if not t.done())]
    for task in pending:  # hostile requests still waiting (a long training): stop them, keep their tallies
        task.cancel()
    await asyncio.gather(*loops, *(t for h in hostiles for t in h.heavy), return_exceptions=True)
    return results, hostiles


# ---------------------------------------------------------------- one phase on its own server

class Timeline(MemorySampler):
    """A MemorySampler of one server that also keeps every sample, to tell which round made a peak."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__([pid], every)
        self.series: list[tuple[float, float]] = []  # (perf_counter, MB)

    def run(self) -> None:
        """Sample until stop() is called."""
        pid = self.pids[0]
        while not self._halt.is_set():
            self.series.append((time.perf_counter(), rss_mb(pid)))
            self.peak[pid] = max(self.peak[pid], self.series[-1][1])
            self._halt.wait(self.every)

    def peak_during(self, start: float, end: float) -> float:
        """The highest sample from `start` to `end` (and the sample just after)."""
        return max((mb for t, mb in self.series if start <= t <= end + self.every), default=0.0)


class StderrTail(threading.Thread):
    """Follows the server's log file (tests/conftest.py start_server writes it) and counts its tracebacks."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path, self.tracebacks, self.last = path, 0, collections.deque(maxlen=40)
        self.done = threading.Event()

    def run(self) -> None:
        """Read new lines until stopped (and once more after)."""
        with open(self.path, "rb") as f:
            while True:
                stopping = self.done.is_set()
                for raw in f.readlines():
                    line = raw.decode(errors="replace").rstrip()
                    self.tracebacks += line.startswith("Traceback")
                    self.last.append(line)
                if stopping:
                    return
                time.sleep(0.2)

    def stop(self) -> None:
        """Read what is left and stop."""
        self.done.set()
        self.join(5)


def phase(name: str, args, hostile: int, files: dict, uploaders: int = 0, table: bytes = b"") -> dict:
    """One class (with `hostile` hostile clients, `uploaders` students training on `table`) on a fresh server;
    its summary."""
    log = str(Path(tempfile.mkdtemp(prefix="aeviz-abuse-")) / "train.log")
    proc, url = _start(log)
    tail = StderrTail(proc.log_path)
    tail.start()
    idle_mb = rss_mb(proc.pid)
    sampler = Timeline(proc.pid)
    sampler.start()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    from abuse_upload import Uploader  # (it builds on this module's Tab)

    ups = [Uploader(url, k, args.upload_timeout, table, args.upload_after) for k in range(uploaders)]
    try:
        results, hostiles = run_async(drive(url, args.sessions, hostile, args.seconds, args.timeout, files,
                                            args.heavy_tabs, ups))
    finally:
        sampler.stop()
        _stop(proc)
    tail.stop()
    errors = [(r["session"], kind, text) for r in results for kind, text in r["errors"]]
    seen = {a: sum((h.seen[a] for h in hostiles), Counter()) for a in ACTIONS}
    messages = {a: sum((h.messages[a] for h in hostiles), Counter()) for a in ACTIONS}
    windows = [w for h in hostiles for w in h.windows]
    round_s = {a: stats([t1 - t0 for b, t0, t1 in windows if b == a]) for a in ACTIONS}
    round_rss = {a: max((sampler.peak_during(t0, t1) for b, t0, t1 in windows if b == a), default=0.0)
                 for a in ACTIONS}
    train = training_runs(log)
    return {
        "phase": name, "sessions": args.sessions, "hostile": hostile, "seconds": args.seconds,
        "wall_s": time.perf_counter() - t0, "load_average_1min_at_start": load,
        "lessons": sum(r["lessons"] for r in results),
        "render_s": {page: stats([x for r in results for x in r["render_s"][page]]) for page, _ in LESSON},
        "render_all_s": stats([x for r in results for xs in r["render_s"].values() for x in xs]),
        "first_lesson_s": stats([x for r in results for x in r["first_s"]]),
        "later_lessons_s": stats([x for r in results for x in r["later_s"]]),
        # every render as (page, seconds since the phase's first render began, seconds it took): when the slow ones were
        "render_timeline": _timeline([r["timeline"] for r in results], t0),
        "uploader_timeline": _timeline([u.timeline for u in ups], t0),
        "errors": len(errors), "error_kinds": dict(Counter(k for _, k, _ in errors)),
        "error_examples": [f"session {i}: {k}: {t}" for i, k, t in errors[:10]],
        "idle_rss_mb": round(idle_mb, 1), "peak_rss_mb": round(sampler.peak[proc.pid], 1),
        "training_runs": train["runs"] if train["logged"] else 0,
        "server_tracebacks": tail.tracebacks,
        "server_stderr_tail": list(tail.last)[-12:],
        "hostile_seen": {a: dict(seen[a]) for a in ACTIONS if seen[a]},
        "hostile_messages": {a: dict(messages[a].most_common(5)) for a in ACTIONS if messages[a]},
        "hostile_round_s": {a: round_s[a] for a in ACTIONS if seen[a]},
        "hostile_round_peak_rss_mb": {a: round(round_rss[a], 1) for a in ACTIONS if seen[a]},
        "hostile_refusals": sum(n for a in ACTIONS for o, n in seen[a].items() if o == "refused (budget)"),
        "uploaders": uploaders,
        "uploader_errors": [f"uploader {u.k}: {e}" for u in ups for e in u.errors],
        "uploader_s": {step: stats([u.seconds[step] for u in ups if step in u.seconds])
                       for step in ("upload and read", *UPLOADER_PAGES, "total")} if ups else {},
    }


def _timeline(timelines: list[list[tuple[str, float, float]]], t0: float) -> list[tuple[float, float, str]]:
    """(seconds since the phase began, seconds taken, what) of every step in `timelines`, in time order."""
    return sorted((round(t - t0, 3), round(dt, 4), what) for tl in timelines for what, t, dt in tl)


# ---------------------------------------------------------------- summary

def ratios(base: dict, abuse: dict) -> dict:
    """abuse p95 / baseline p95, per page and over every render."""
    pairs = {page: (base["render_s"][page], abuse["render_s"][page]) for page, _ in LESSON}
    pairs["all"] = (base["render_all_s"], abuse["render_all_s"])
    pairs["first lesson"] = (base["first_lesson_s"], abuse["first_lesson_s"])
    if "later_lessons_s" in base and "later_lessons_s" in abuse:
        pairs["later lessons"] = (base["later_lessons_s"], abuse["later_lessons_s"])
    return {page: a["p95"] / b["p95"] if a["p95"] and b["p95"] else None for page, (b, a) in pairs.items()}


def print_table(phases: list[dict], ratio: dict | None) -> None:
    """The phases side by side, then what the hostile clients saw."""
    def cell(st: dict) -> str:
        return "—" if not st["n"] else f"{st['median']:.2f} / {st['p95']:.2f}"

    cols = [f"{p['phase']} ({p['sessions']}+{p['hostile']})" for p in phases] + (["p95 ratio"] if ratio else [])
    rows = [(f"{page} page render s (med / p95)", [cell(p["render_s"][page]) for p in phases]
             + ([_r(ratio[page])] if ratio else [])) for page, _ in LESSON]
    rows += [
        ("every render s (med / p95)", [cell(p["render_all_s"]) for p in phases] + ([_r(ratio["all"])] if ratio else [])),
        ("first lesson's renders s (med / p95)", [cell(p["first_lesson_s"]) for p in phases]
         + ([_r(ratio["first lesson"])] if ratio else [])),
        ("later lessons' renders s (med / p95)", [cell(p["later_lessons_s"]) for p in phases]
         + ([_r(ratio.get("later lessons"))] if ratio else [])),
        ("lessons done", [str(p["lessons"]) for p in phases]),
        ("errors seen by students", [str(p["errors"]) for p in phases]),
        ("peak server RSS MB (idle)", [f"{p['peak_rss_mb']:.0f} ({p['idle_rss_mb']:.0f})" for p in phases]),
        ("training runs logged", [str(p["training_runs"]) for p in phases]),
        ("tracebacks on server stderr", [str(p["server_tracebacks"]) for p in phases]),
        ("hostile refusals (budget)", [str(p["hostile_refusals"]) for p in phases]),
        ("load average (1 min) at start", [f"{p['load_average_1min_at_start']:.1f}" for p in phases]),
        ("wall s", [f"{p['wall_s']:.0f}" for p in phases]),
    ]
    print("\n" + "\n".join(f"{name:<38}" + "".join(f"{v:>24}" for v in vals) for name, vals in [("", cols), *rows]))
    print("\n".join(f"  [{p['phase']}] {ex}" for p in phases for ex in p["error_examples"]))
    for p in phases:
        if p["hostile_seen"]:
            print(f"\nwhat the hostile clients saw ({p['phase']}), requests per outcome:")
            for action, counts in p["hostile_seen"].items():
                rs = p["hostile_round_s"][action]
                print(f"  {action:<13} " + ", ".join(f"{o}: {n}" for o, n in sorted(counts.items()))
                      + f"  (round median {rs['median']:.0f} s; server peak during its rounds "
                        f"{p['hostile_round_peak_rss_mb'][action]:.0f} MB)")
                for msg, n in p["hostile_messages"].get(action, {}).items():
                    print(f"      {n:>3} × {msg}")


def _r(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def verdict(phases: list[dict], ratio: dict | None) -> dict:
    """The three targets of issue 10 and whether this run met them."""
    abuse = phases[-1]
    return {"student_errors": sum(p["errors"] for p in phases), "student_errors_ok": all(p["errors"] == 0 for p in phases),
            "p95_ratio": ratio["all"] if ratio else None,
            "p95_ratio_first_lesson": ratio["first lesson"] if ratio else None,
            "p95_ratio_ok": (ratio["all"] is not None and ratio["all"] < RATIO_TARGET) if ratio else None,
            "peak_rss_mb": max(p["peak_rss_mb"] for p in phases),
            "peak_rss_ok": all(p["peak_rss_mb"] < MEMORY_LIMIT_MB for p in phases), "abuse_phase": abuse["phase"]}


def main(argv: list[str] | None = None) -> dict:
    """Run the baseline and abuse phases, print the table, write the JSON; returns the summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30, help="students (protocol-level sessions)")
    ap.add_argument("--hostile", type=int, default=3, help="hostile clients in the abuse phase")
    ap.add_argument("--seconds", type=float, default=90, help="length of each class: students repeat the lesson "
                                                              "until then (each does it at least once)")
    ap.add_argument("--heavy-tabs", type=int, default=2, help="heavy-link tabs a hostile client keeps open at once")
    ap.add_argument("--bomb-mb", type=int, default=1024, help="MB the weights bomb inflates to (file ~1/1000)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds any one page may take before it counts "
                                                               "as a student error")
    ap.add_argument("--no-baseline", action="store_true", help="only the abuse phase (no ratio)")
    ap.add_argument("--no-abuse", action="store_true", help="leave out the hostile phase")
    ap.add_argument("--uploaders", type=int, default=0, help="add a phase in which this many students each "
                                                             "upload a table and train on it (issue 18: 10)")
    ap.add_argument("--upload-mb", type=float, default=5.0, help="MB of each uploader's table")
    ap.add_argument("--upload-timeout", type=float, default=900, help="seconds an uploader's page may take (its "
                                                                      "training may queue behind the others')")
    ap.add_argument("--upload-after", type=float, default=0.0, help="seconds into the class the uploaders start "
                    "(0: with the class's first page; 10: into a class whose first lesson is done)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    files = hostile_files(args.bomb_mb)
    load_before = list(os.getloadavg())
    phases = []
    if not args.no_baseline:
        phases.append(phase("baseline", args, 0, files))
    if not args.no_abuse:
        phases.append(phase("abuse", args, args.hostile, files))
    table_note = None
    if args.uploaders:
        from abuse_upload import accepted_table, print_uploaders

        table, _, table_note = accepted_table(args.upload_mb)
        print(f"each uploader's table: {table_note}")
        phases.append(phase("uploaders", args, 0, files, args.uploaders, table))
    by_name = {p["phase"]: p for p in phases}
    ratio = ratios(by_name["baseline"], by_name["abuse"]) if {"baseline", "abuse"} <= set(by_name) else None
    upload_ratio = (ratios(by_name["baseline"], by_name["uploaders"])
                    if {"baseline", "uploaders"} <= set(by_name) else None)
    print(f"\n{args.sessions} protocol-level students for {args.seconds:.0f} s, {args.hostile} hostile clients in the "
          f"abuse phase; {os.cpu_count()} cores; 1-min load average {load_before[0]:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print_table(phases, ratio if ratio is not None else upload_ratio)
    if "uploaders" in by_name:
        print_uploaders(by_name["uploaders"], upload_ratio, table_note, RATIO_TARGET, MEMORY_LIMIT_MB)
    summary = {"cores": os.cpu_count(), "load_average_before": load_before, "load_average_after": list(os.getloadavg()),
               "heavy_tabs": args.heavy_tabs, "bomb_mb": args.bomb_mb, "bomb_file_bytes": len(files["bomb"][2]),
               "train_budget_s": os.environ.get("AEVIZ_TRAIN_BUDGET_S", "default"),
               "phases": phases, "p95_ratio": ratio, "targets": verdict(phases, ratio)}
    if "uploaders" in by_name:
        up = by_name["uploaders"]
        summary["upload_table"] = table_note
        summary["upload_after_s"] = args.upload_after
        summary["upload_p95_ratio"] = upload_ratio
        summary["upload_targets"] = {
            "student_errors": up["errors"], "uploader_errors": len(up["uploader_errors"]),
            "p95_ratio": upload_ratio["all"] if upload_ratio else None,
            "p95_ratio_ok": (upload_ratio["all"] is not None and upload_ratio["all"] < RATIO_TARGET) if upload_ratio else None,
            "p95_ratio_later_lessons": upload_ratio.get("later lessons") if upload_ratio else None,
            "peak_rss_mb": up["peak_rss_mb"], "peak_rss_ok": up["peak_rss_mb"] < MEMORY_LIMIT_MB}
    t = summary["targets"]
    print(f"\ntargets: student errors {t['student_errors']} (want 0), p95 ratio "
          f"{_r(t['p95_ratio'])} (want < {RATIO_TARGET}), peak RSS {t['peak_rss_mb']:.0f} MB (want < {MEMORY_LIMIT_MB})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written to {args.out}")
    return summary


if __name__ == "__main__":
    main()
