"""A class at once, without browsers: N concurrent sessions that speak Streamlit's websocket protocol.

    python bench/load_protocol.py [--sessions 30] [--clicks 3] [--no-baseline] [--gc-compare] [--url http://127.0.0.1:8501]
    python bench/load_protocol.py --runs 5 [--via map]
    python bench/load_protocol.py --runs 5 --via map --query d_name=mnist --keep 'd_name=gw'   # a mnist lesson link

bench/load_test.py drives real Chromium contexts; on a small machine their rendering dominates its
latencies. Here each simulated student is one websocket on /_stcore/stream sending the BackMsgs the
browser would send (protobufs from the installed streamlit.proto), so thirty of them cost almost nothing
and the numbers describe the server. Each student:

1. connects and asks for the default page (rerun_script, empty page), waits for script_finished;
2. asks for the latent page (page_name "latent", its URL path, as when the link is opened), waits;
3. "clicks" the map `--clicks` times: sets the explorer's z inputs (number_input keys latent_z1/latent_z2,
   their ids and fragment id read from the deltas) in a fragment rerun, as the browser does, and times
   send -> script_finished with the decoded output saying "in a hole" or "not a hole".

Errors: Exception elements in any delta, connection failures, timeouts, and runs that end without the
expected output. Without --url the bench starts its own server (tests/conftest.py start_server) with
AEVIZ_TRAIN_LOG set and samples its RSS (process + children, /proc) every 0.2 s. By default it also runs,
on another fresh server, one student alone (cold: the imports and the training), then the class (as when
the teacher has opened the link before the lesson), then one student alone again (warm), so the ratios
under load are visible. Servers run `streamlit run serve.py` (the README's command: the app
warmed up before it answers); the last phase runs the class against `streamlit run app.py` (no warm-up)
for reference. Results: bench/results/load_protocol.json.

`--query` is the lesson link every student opens (default: the bare URL, the default lesson); `--keep` lists links
one teacher opens on each fresh server before the class, so those runs are in the store while the class works
(the RSS then counts them too).

`--runs N` runs only the class on a fresh `streamlit run serve.py`, N times (a new server each time), prints
each run's figures, then each p95's median and spread (min-max) over the runs against the class targets
(TARGETS: default link p95 2 s, latent page p95 3 s, click -> server p95 500 ms, no errors, peak server RSS
under 1 GB), with the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from load_test import MemorySampler, training_runs

RESULTS = ROOT / "bench" / "results" / "load_protocol.json"
Z_KEYS = ("latent_z1", "latent_z2")  # aeviz/ui/latent.py Z_KEYS
MAP_KEY = "latent_map"  # aeviz/ui/latent_map.py KEY: the in-browser map (components v2)
ANSWER = re.compile(r"This point is \*\*(in a hole|not a hole)\*\*")
TARGETS = {"home_render_s": ("default link p95", 2.0, "s"), "latent_render_s": ("latent page p95", 3.0, "s"),
           "click_to_decode_ms": ("click -> server p95", 500.0, "ms")}  # what a student waits for, at most
RSS_LIMIT_MB = 1024
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
        ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class Session:
    """One simulated browser tab: a websocket, the page state a browser keeps, and one script run at a time."""

    def __init__(self, ws, timeout: float, query: str = ""):
        self.ws, self.timeout = ws, timeout
        self.query_string = query  # the lesson link's query (the sidebar then keeps it in step)
        self.page_hash = ""
        self.widgets: dict[str, tuple[NumberInput, str]] = {}  # user key -> (number_input, fragment id)
        self.box: tuple[list[float], list[float]] | None = None  # the latent map's axis ranges
        self.map: tuple[str, str] | None = None  # the latent map's (widget id, fragment id)
        self.exceptions: list[str] = []

    async def run(self, state: ClientState) -> tuple[ForwardMsg.ScriptFinishedStatus, list[str]]:
        """Send one rerun_script and read ForwardMsgs until the run is over; returns (status, texts)."""
        state.query_string = self.query_string
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        texts: list[str] = []
        async with asyncio.timeout(self.timeout):
            while True:
                msg = ForwardMsg.FromString(await self.ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "delta":
                    self._delta(msg, texts)
                elif kind == "page_info_changed":
                    self.query_string = msg.page_info_changed.query_string
                elif kind == "navigation" and msg.navigation.page_script_hash:
                    self.page_hash = msg.navigation.page_script_hash
                elif kind == "new_session" and msg.new_session.page_script_hash and not self.page_hash:
                    self.page_hash = msg.new_session.page_script_hash
                elif kind == "script_finished" and msg.script_finished in DONE:
                    return msg.script_finished, texts

    def _delta(self, msg: ForwardMsg, texts: list[str]) -> None:
        """Keep what a student would read: texts, exceptions, the z inputs and the map's box."""
        if msg.delta.WhichOneof("type") != "new_element":
            return
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "markdown":
            texts.append(el.markdown.body)
        elif kind == "alert":
            texts.append(el.alert.body)
        elif kind == "exception":
            self.exceptions.append(f"{el.exception.type}: {el.exception.message[:150]}")
        elif kind == "number_input":
            for key in Z_KEYS:
                if el.number_input.id.endswith("-" + key):
                    self.widgets[key] = (el.number_input, msg.delta.fragment_id)
        elif kind == "bidi_component" and el.bidi_component.id.endswith("-" + MAP_KEY):
            self.map = (el.bidi_component.id, msg.delta.fragment_id)
            payload = json.loads(el.bidi_component.json or "{}").get("payload", {})
            if payload.get("box"):
                a0, b0, a1, b1 = payload["box"]
                self.box = ([a0, a1], [b0, b1])
                self.latent = payload.get("latent", 2)

    def ready(self, via: str) -> bool:
        """True once the latent page has shown what a click needs (the map, or the z inputs)."""
        return self.map is not None if via == "map" else bool(self.widgets)

    def click_state(self, rng: random.Random, via: str) -> ClientState:
        """The fragment rerun a click sends, at a random point inside the map: a plotly selection event
        on the map (what the browser sends for a click) or both z inputs typed."""
        state = ClientState(page_script_hash=self.page_hash)
        (lo_x, hi_x), (lo_y, hi_y) = self.box or ([-1.0, 1.0], [-1.0, 1.0])
        values = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
        if via == "map":  # what the map's JS sends on a click: the trigger "pick" (a plane point, latent 2)
            pick = {"z": list(values)[:getattr(self, "latent", 2)], "ab": list(values), "source": "a click"}
            state.widget_states.widgets.add(id=f"$$STREAMLIT_INTERNAL_KEY_{self.map[0]}__events",
                                            json_trigger_value=json.dumps([{"event": "pick", "value": pick}]))
            state.fragment_id = self.map[1]
            return state
        fragment = ""
        for key, value in zip(Z_KEYS, values):
            if key not in self.widgets:
                continue
            widget, fragment = self.widgets[key]
            w = state.widget_states.widgets.add(id=widget.id)
            if widget.data_type == NumberInput.INT:
                w.int_value = round(value)
            else:
                w.double_value = value
        state.fragment_id = fragment
        return state


async def student(url: str, i: int, clicks: int, via: str, timeout: float, start: asyncio.Event,
                  query: str = "") -> dict:
    """One student: default page, latent page, `clicks` clicks; returns timings and errors."""
    rng = random.Random(i)
    out = {"session": i, "home_s": None, "latent_s": None, "clicks_ms": [], "answers": [], "errors": []}
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    await start.wait()
    t0 = time.perf_counter()
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                                      ping_interval=None) as ws:
            s = Session(ws, timeout, query)
            status, _ = await s.run(ClientState())
            out["home_s"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            status, texts = await s.run(ClientState(page_name="latent"))
            out["latent_s"] = time.perf_counter() - t1
            if not s.ready(via) or status != ForwardMsg.FINISHED_SUCCESSFULLY:
                out["errors"].append(("latent page incomplete", f"status {status}, z inputs {sorted(s.widgets)}, map {s.map is not None}"))
            else:
                for _ in range(clicks):
                    tc = time.perf_counter()
                    status, texts = await s.run(s.click_state(rng, via))
                    ms = 1000 * (time.perf_counter() - tc)
                    found = [m.group(1) for t in texts for m in [ANSWER.search(t)] if m]
                    if found:
                        out["clicks_ms"].append(ms)
                        out["answers"].append(found[-1])
                    else:
                        out["errors"].append(("click without answer", f"status {status}, {len(texts)} texts"))
                    await asyncio.sleep(rng.uniform(0.3, 0.9))  # a student looks before clicking again
            out["errors"] += [("exception element", e) for e in s.exceptions]
    except TimeoutError:
        out["errors"].append(("timeout", f"no script_finished within {timeout:.0f} s"))
    except (OSError, websockets.exceptions.WebSocketException) as exc:
        out["errors"].append(("connection", f"{type(exc).__name__}: {str(exc)[:150]}"))
    return out


async def drive(url: str, sessions: int, clicks: int, via: str, timeout: float, query: str = "") -> list[dict]:
    """Run `sessions` students at once against `url`, all opening the link `?query`; returns their results."""
    start = asyncio.Event()
    tasks = [asyncio.create_task(student(url, i, clicks, via, timeout, start, query)) for i in range(sessions)]
    await asyncio.sleep(0.1)
    start.set()
    return await asyncio.gather(*tasks)


# ---------------------------------------------------------------- summary

def run_async(coro):
    """asyncio.run(coro), in a thread of its own when this thread already runs an event loop
    (as under pytest with Playwright's sync API alive)."""
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def stats(xs: list[float]) -> dict:
    """Median, p95 (nearest rank), max and count of `xs`."""
    if not xs:
        return {"n": 0, "median": None, "p95": None, "max": None}
    xs = sorted(xs)
    return {"n": len(xs), "median": statistics.median(xs), "p95": xs[max(0, round(0.95 * len(xs)) - 1)],
            "max": xs[-1]}


def phase(name: str, url: str, sessions: int, args, pids: list[int], log: str | None) -> dict:
    """Run one group of students against a server and summarise it (with that server's memory and trainings)."""
    before = training_runs(log)["runs"] or 0
    sampler = MemorySampler(pids)
    sampler.start()
    t0 = time.perf_counter()
    try:
        results = run_async(drive(url, sessions, args.clicks, args.via, args.timeout, getattr(args, "query", "")))
    finally:
        sampler.stop()
    errors = [(r["session"], kind, text) for r in results for kind, text in r["errors"]]
    train = training_runs(log)
    answers = [a for r in results for a in r["answers"]]
    return {
        "phase": name, "query": getattr(args, "query", ""), "sessions": sessions, "clicks_per_session": args.clicks, "click_via": args.via, "wall_s": time.perf_counter() - t0,
        "home_render_s": stats([r["home_s"] for r in results if r["home_s"] is not None]),
        "latent_render_s": stats([r["latent_s"] for r in results if r["latent_s"] is not None]),
        "click_to_decode_ms": stats([c for r in results for c in r["clicks_ms"]]),
        "answers": {a: answers.count(a) for a in sorted(set(answers))},
        "errors": len(errors), "error_examples": [f"session {i}: {k}: {t}" for i, k, t in errors[:10]],
        "peak_rss_mb": round(max(sampler.peak.values(), default=0.0), 1) if pids else None,
        "training_runs": (train["runs"] - before) if train["logged"] else None,
    }


def prepare(url: str, args) -> None:
    """The teacher's visits before the class: one student opens each `--keep` link, so those runs are in the
    store (and in the server's memory) while the class works."""
    for q in filter(None, (q.strip() for q in args.keep.split(";"))):
        [r] = run_async(drive(url, 1, 0, args.via, args.timeout, q))
        print(f"teacher opened ?{q}: {len(r['errors'])} errors", flush=True)


def print_table(phases: list[dict]) -> None:
    """The phases side by side: medians / p95s, errors, memory, trainings."""
    def cell(st: dict, scale: float, fmt: str) -> str:
        return "—" if not st["n"] else f"{st['median'] * scale:{fmt}} / {st['p95'] * scale:{fmt}}"

    cols = [f"{p['phase']} ({p['sessions']})" for p in phases]
    rows = [
        ("default page render s (med / p95)", [cell(p["home_render_s"], 1, ".2f") for p in phases]),
        ("latent page render s (med / p95)", [cell(p["latent_render_s"], 1, ".2f") for p in phases]),
        ("click -> decoded ms (med / p95)", [cell(p["click_to_decode_ms"], 1, ".0f") for p in phases]),
        ("clicks answered", [str(p["click_to_decode_ms"]["n"]) for p in phases]),
        ("errors", [str(p["errors"]) for p in phases]),
        ("peak server RSS MB", ["—" if p["peak_rss_mb"] is None else f"{p['peak_rss_mb']:.0f}" for p in phases]),
        ("training runs", ["—" if p["training_runs"] is None else str(p["training_runs"]) for p in phases]),
        ("wall s", [f"{p['wall_s']:.1f}" for p in phases]),
    ]
    print(f"\n{'':<36}" + "".join(f"{c:>22}" for c in cols))
    for name, vals in rows:
        print(f"{name:<36}" + "".join(f"{v:>22}" for v in vals))
    warm = next((p for p in phases if p["phase"] == "alone, warm"), None)
    if warm is not None:
        print("\nclass median / one student alone on a warm server (the same server's cost of a class):")
        for p in phases:
            if p["sessions"] > 1:
                parts = [f"{name} {p[k]['median'] / warm[k]['median']:.1f}×"
                         for name, k in (("default page", "home_render_s"), ("latent page", "latent_render_s"),
                                         ("click", "click_to_decode_ms")) if p[k]["n"] and warm[k]["n"]]
                print(f"  {p['phase']}: " + ", ".join(parts))
    for p in phases:
        for ex in p["error_examples"]:
            print(f"  [{p['phase']}] {ex}")


def repeated_summary(runs: list[dict]) -> dict:
    """Each target's p95 in every run, their median and min-max, and whether the median meets the target;
    errors summed and the highest peak RSS, against theirs."""
    out = {}
    for key, (name, target, unit) in TARGETS.items():
        p95s = [r[key]["p95"] for r in runs]
        got = [x for x in p95s if x is not None]
        med = statistics.median(got) if got else None
        out[key] = {"name": name, "unit": unit, "target": target, "p95s": p95s, "median": med,
                    "min": min(got, default=None), "max": max(got, default=None),
                    "met": med is not None and len(got) == len(p95s) and med <= target}
    errors = [r["errors"] for r in runs]
    rss = [r["peak_rss_mb"] for r in runs if r["peak_rss_mb"] is not None]
    out["errors"] = {"per_run": errors, "total": sum(errors), "met": sum(errors) == 0}
    out["peak_rss_mb"] = {"per_run": rss, "max": max(rss, default=None), "target": RSS_LIMIT_MB,
                          "met": bool(rss) and max(rss) < RSS_LIMIT_MB}
    return out


def print_repeated(summary: dict) -> None:
    """The targets table of `repeated_summary`: every run's p95, the median, the spread, the verdict."""
    print(f"\n{'':<24}{'every run':>40}{'median':>10}{'min-max':>16}{'target':>9}  verdict")
    for key in TARGETS:
        t = summary[key]
        scale, fmt = (1, ".2f") if t["unit"] == "s" else (1, ".0f")
        runs = " ".join("—" if x is None else f"{x * scale:{fmt}}" for x in t["p95s"])
        if t["median"] is None:
            print(f"{t['name'] + ' (' + t['unit'] + ')':<24}{runs:>40}{'—':>10}{'—':>16}{t['target']:>9g}  no data")
            continue
        spread = f"{t['min']:{fmt}}-{t['max']:{fmt}}"
        verdict = "met" if t["met"] else f"missed by {t['median'] - t['target']:{fmt}} {t['unit']}"
        print(f"{t['name'] + ' (' + t['unit'] + ')':<24}{runs:>40}{t['median']:>10{fmt}}{spread:>16}"
              f"{t['target']:>9g}  {verdict}")
    e, m = summary["errors"], summary["peak_rss_mb"]
    print(f"{'errors':<24}{' '.join(map(str, e['per_run'])):>40}{e['total']:>10}{'':>16}{0:>9}  "
          f"{'met' if e['met'] else 'missed'}")
    print(f"{'peak server RSS (MB)':<24}{' '.join(f'{x:.0f}' for x in m['per_run']):>40}"
          f"{'—' if m['max'] is None else format(m['max'], '.0f'):>10}{'(highest)':>16}{m['target']:>9}  "
          f"{'met' if m['met'] else 'missed'}")


def _start(log: str, env: dict | None = None, entry: str = "serve.py") -> tuple[subprocess.Popen, str]:
    """A fresh aeviz server (`streamlit run <entry>`) that logs its training runs to `log` (with `env` added
    to its environment)."""
    from conftest import start_server

    return start_server(extra_env={"AEVIZ_TRAIN_LOG": log, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
                                   **(env or {})}, entry=entry)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    """Run the protocol-level load test and print and save its summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--clicks", type=int, default=3, help="clicks (z inputs set) per session")
    ap.add_argument("--url", help="an existing server (default: start one; no RSS or training count then "
                                  "unless --pids / --train-log are given)")
    ap.add_argument("--pids", default="", help="with --url: server pids to watch, a,b")
    ap.add_argument("--train-log", help="with --url: the server's AEVIZ_TRAIN_LOG file")
    ap.add_argument("--via", choices=("map", "inputs"), default="inputs",
                    help="click = type both z inputs (default) or send the map's plotly selection event")
    ap.add_argument("--no-baseline", action="store_true", help="skip the single-student runs")
    ap.add_argument("--timeout", type=float, default=600, help="seconds any one script run may take")
    ap.add_argument("--gc-compare", action="store_true",
                    help="run the class twice on fresh servers, with Streamlit's full gc.collect() after every "
                         "script run (runner.postScriptGC) forced on, then off, and compare")
    ap.add_argument("--runs", type=int, default=0,
                    help="run only the class, on a fresh serve.py each time, this many times; print every run and "
                         "each p95's median and spread against the targets")
    ap.add_argument("--query", default="", help="the lesson link every student opens, e.g. d_name=mnist")
    ap.add_argument("--keep", default="", help="links one teacher opens before each class (their runs stay in the "
                                              "store while the class works), ';'-separated, e.g. 'd_name=gw;d_name=mnist'")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    load_before = list(os.getloadavg())
    phases = []
    if args.runs:
        tmp = tempfile.mkdtemp(prefix="aeviz-protocol-")
        for i in range(args.runs):
            log = f"{tmp}/run{i + 1}.log"
            proc, url = _start(log)
            try:
                prepare(url, args)
                phases.append(phase(f"run {i + 1}", url, args.sessions, args, [proc.pid], log))
            finally:
                _stop(proc)
            p = phases[-1]
            print(f"run {i + 1}/{args.runs}: p95 default page {p['home_render_s']['p95'] or float('nan'):.2f} s, latent "
                  f"page {p['latent_render_s']['p95'] or float('nan'):.2f} s, click {p['click_to_decode_ms']['p95'] or float('nan'):.0f} ms, "
                  f"{p['errors']} errors; 1-min load average {os.getloadavg()[0]:.1f}", flush=True)
    elif args.url:
        url, pids = args.url.rstrip("/"), [int(p) for p in args.pids.split(",") if p]
        if not args.no_baseline:
            phases.append(phase("alone", url, 1, args, pids, args.train_log))
        phases.append(phase("class", url, args.sessions, args, pids, args.train_log))
    elif args.gc_compare:
        tmp = tempfile.mkdtemp(prefix="aeviz-protocol-")
        for label, value in (("class, post-run GC on", "true"), ("class, post-run GC off", "false")):
            proc, url = _start(f"{tmp}/{value}.log", {"STREAMLIT_RUNNER_POST_SCRIPT_GC": value})
            try:
                phases.append(phase(label, url, args.sessions, args, [proc.pid], f"{tmp}/{value}.log"))
            finally:
                _stop(proc)
    else:
        tmp = tempfile.mkdtemp(prefix="aeviz-protocol-")
        if not args.no_baseline:
            # as in a lesson: the teacher opens the link first (on a fresh server), then the class arrives
            proc, url = _start(f"{tmp}/teacher.log")
            try:
                phases.append(phase("alone, cold", url, 1, args, [proc.pid], f"{tmp}/teacher.log"))
                phases.append(phase("class, after one visit", url, args.sessions, args, [proc.pid],
                                    f"{tmp}/teacher.log"))
                phases.append(phase("alone, warm", url, 1, args, [proc.pid], f"{tmp}/teacher.log"))
            finally:
                _stop(proc)
        entries = {"class, cold": "serve.py"}
        if not args.no_baseline:  # the reference: the same app without the server's warm-up
            entries["class, cold, app.py"] = "app.py"
        for label, entry in entries.items():
            proc, url = _start(f"{tmp}/{entry}.log", entry=entry)
            try:
                phases.append(phase(label, url, args.sessions, args, [proc.pid], f"{tmp}/{entry}.log"))
            finally:
                _stop(proc)
    print(f"\n{args.sessions} concurrent protocol-level sessions, {args.clicks} clicks each (via {args.via}), "
          f"{os.cpu_count()} cores; 1-min load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print_table(phases)
    summary = {"url": args.url or "own server (tests/conftest.py start_server)", "cores": os.cpu_count(),
               "load_average_before": load_before, "load_average_after": list(os.getloadavg()), "phases": phases}
    if args.runs:
        summary["repeated"] = repeated_summary(phases)
        print(f"\nthe class over {args.runs} run{'s' if args.runs != 1 else ''} (p95 of each run; median and spread):")
        print_repeated(summary["repeated"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
