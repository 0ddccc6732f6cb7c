"""A class at once: N concurrent browser sessions against one real aeviz server (or a proxy) on loopback.

    python bench/load_test.py [--sessions 30] [--clicks 3] [--url http://127.0.0.1:8080 --pids 1,2]

Each session (one Playwright context of one headless Chromium) opens the default link, follows the
"Latent space" link, waits for the page to finish, then clicks the latent map (the in-browser map of
aeviz/ui/components/js/latent_map.js: it decodes at once in the page and sends the clicked point to the server)
and waits for the server's reply about that point under the map. All sessions start together. Prints
medians and p95s of the time to the first complete render and of click-to-server-reply latency, the
errors seen (page errors, console errors, HTTP errors, Streamlit exception boxes, sessions that broke),
the server's peak memory (RSS of the server process and its children, sampled from /proc every 0.2 s)
and the training runs the server did, then writes the same summary to bench/results/load_test.json.

Without --url it starts its own server (tests/conftest.py's start_server) with AEVIZ_TRAIN_LOG set, so
the server appends one line per finished training run; an older server without that log is reported as
"not logged". With --url, pass --pids (the server processes to watch), --train-log and, behind nginx,
--access-log to count the websocket sessions each replica served; `deploy/run_proxy.sh 2 -- python
bench/load_test.py` passes all four through the environment (AEVIZ_PROXY_URL, AEVIZ_PROXY_PIDS,
AEVIZ_TRAIN_LOGS, AEVIZ_PROXY_ACCESS_LOG).
The browsers share the machine's cores with the server, so on a small machine every latency here is an
upper bound on what students on their own laptops would see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

RESULTS = ROOT / "bench" / "results" / "load_test.json"
HOST = "[data-testid=stBidiComponentIsolated]"  # the latent map (components v2; its DOM is in a shadow root)
API = f"document.querySelector('{HOST}').aevizLatentMap"  # the map's test handle (latent_map.js api())
OUTPUT = ".st-key-latent_output"
MEMORY_LIMIT_MB = 1024
IDLE_JS = ("() => !!document.querySelector('[data-testid=\"stApp\"]') && (!document.querySelector("
           "'[data-testid=\"stStatusWidget\"]') || !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           ".innerText.includes('Running'))")
MAP_READY_JS = f"() => !!document.querySelector('{HOST}') && !!{API} && !!{API}.view"
REPLY_JS = ("([sel, want]) => { const el = document.querySelector(sel);"
            " return !!el && el.innerText.includes(want) && el.innerText.includes('This point is'); }")


# ---------------------------------------------------------------- server memory, from /proc

def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (read from /proc/*/stat)."""
    parent: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            parent.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        kids = parent.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its children, in MB (0 once it is gone)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class MemorySampler(threading.Thread):
    """Samples the RSS of each watched server every `every` seconds until stopped; keeps the peaks."""

    def __init__(self, pids: list[int], every: float = 0.2):
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.peak = {p: 0.0 for p in pids}
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stop() is called."""
        while not self._halt.is_set():
            for p in self.pids:
                self.peak[p] = max(self.peak[p], rss_mb(p))
            self.samples += 1
            self._halt.wait(self.every)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._halt.set()
        self.join()


# ---------------------------------------------------------------- one student

async def _idle(page, timeout_ms: float) -> None:
    await page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=100)


async def session(browser, url: str, i: int, clicks: int, timeout_ms: float, errors: list, start: asyncio.Event):
    """One student: open the default link, go to the latent page, click the map `clicks` times."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    result = {"session": i, "home_s": None, "latent_s": None, "clicks_ms": [], "error": None}
    page.on("pageerror", lambda exc: errors.append((i, "page error", str(exc)[:200])))
    page.on("console", lambda msg: msg.type == "error" and errors.append((i, "console error", msg.text[:200])))
    page.on("response", lambda r: r.status >= 400 and errors.append((i, f"HTTP {r.status}", r.url[:200])))
    rng = random.Random(i)
    try:
        await start.wait()
        t0 = time.perf_counter()
        await page.goto(url + "/", timeout=timeout_ms)
        await page.locator("h1").first.wait_for(timeout=timeout_ms)
        await _idle(page, timeout_ms)
        result["home_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        link = page.locator('[data-testid="stSidebarNav"] a[href$="/latent"]').first
        await link.click(timeout=timeout_ms)
        await page.wait_for_function(MAP_READY_JS, timeout=timeout_ms, polling=100)
        await page.locator(OUTPUT).get_by_text("send a point to the page").wait_for(timeout=timeout_ms)
        await _idle(page, timeout_ms)
        result["latent_s"] = time.perf_counter() - t1
        await page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                            ".scrollIntoView({block: 'center'})")
        for _ in range(clicks):
            a0, b0, a1, b1 = await page.evaluate(f"() => {API}.view")
            a, b = a0 + (a1 - a0) * rng.uniform(0.08, 0.92), b0 + (b1 - b0) * rng.uniform(0.08, 0.92)
            pt = await page.evaluate(f"([a, b]) => {API}.toClient(a, b)", [a, b])
            tc = time.perf_counter()
            await page.mouse.click(pt["x"], pt["y"])
            z = (await page.evaluate(f"() => {API}.state()"))["z"]  # what the browser decoded and sent
            want = "z = (" + ", ".join(f"{c:.3f}" for c in z[:4]) + (", …" if len(z) > 4 else "") + ")"
            await page.wait_for_function(REPLY_JS, arg=[OUTPUT, want], timeout=timeout_ms, polling="raf")
            result["clicks_ms"].append(1000 * (time.perf_counter() - tc))
            await _idle(page, timeout_ms)
            await page.wait_for_timeout(rng.uniform(300, 900))  # a student looks before clicking again
        result["exceptions"] = await page.locator('[data-testid="stException"]').count()
        if result["exceptions"]:
            errors.append((i, "stException", (await page.locator('[data-testid="stException"]').first
                                               .inner_text())[:200]))
    except Exception as exc:  # a broken session is a result, not a crash of the bench
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        errors.append((i, "session broke", result["error"]))
    finally:
        await ctx.close()
    print(f"session {i:2d}: home {result['home_s'] or 0:.1f} s, latent {result['latent_s'] or 0:.1f} s, clicks "
          f"{' '.join(f'{c:.0f}' for c in result['clicks_ms'])} ms{'; ' + result['error'] if result['error'] else ''}",
          flush=True)
    return result


async def drive(url: str, sessions: int, clicks: int, timeout_ms: float) -> tuple[list[dict], list]:
    """Start one Chromium and run `sessions` students at once; returns (per-session results, errors)."""
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.async_api import async_playwright

    errors: list = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        start = asyncio.Event()
        tasks = [asyncio.create_task(session(browser, url, i, clicks, timeout_ms, errors, start))
                 for i in range(sessions)]
        await asyncio.sleep(1.0)  # every context is created before anyone opens the link
        start.set()
        results = await asyncio.gather(*tasks)
        await browser.close()
    return results, errors


# ---------------------------------------------------------------- evidence from the server side

def training_runs(logs: str | None) -> dict:
    """Training runs the servers logged: AEVIZ_TRAIN_LOG files (comma-separated; one line per finished run)."""
    paths = [p for p in (logs or "").split(",") if p]
    if not paths or not any(Path(p).exists() for p in paths):
        return {"logged": False, "runs": None, "per_log": {},
                "note": "not logged: the server does not write AEVIZ_TRAIN_LOG (aeviz/ui/cache.py)"}
    per_log = {p: sum(1 for ln in Path(p).read_text().splitlines() if ln.strip()) if Path(p).exists() else 0
               for p in paths}
    return {"logged": True, "runs": sum(per_log.values()), "per_log": per_log, "note": ""}


def replica_spread(access_log: str | None) -> dict:
    """Websocket sessions (/_stcore/stream, status 101) per upstream replica, from nginx's access log."""
    if not access_log or not Path(access_log).exists():
        return {}
    spread: Counter = Counter()
    for line in Path(access_log).read_text().splitlines():
        if "/_stcore/stream" in line and " 101 " in line:
            m = re.search(r"upstream=(\S+)", line)
            spread[m.group(1) if m else "?"] += 1
    return dict(spread)


# ---------------------------------------------------------------- summary

def _stats(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0, "median": None, "p95": None, "max": None}
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, max(0, round(0.95 * len(xs)) - 1))]
    return {"n": len(xs), "median": statistics.median(xs), "p95": p95, "max": xs[-1]}


def summarise(results: list[dict], errors: list, peaks: dict, samples: int, train: dict, spread: dict,
              args, wall_s: float) -> dict:
    """Everything measured, as one JSON-able dict."""
    return {
        "url": args.url or "own server (tests/conftest.py start_server)",
        "sessions": args.sessions, "clicks_per_session": args.clicks, "cores": os.cpu_count(),
        "wall_s": wall_s, "load_average_before": args.load_before, "load_average_after": list(os.getloadavg()),
        "home_render_s": _stats([r["home_s"] for r in results if r["home_s"] is not None]),
        "latent_render_s": _stats([r["latent_s"] for r in results if r["latent_s"] is not None]),
        "click_to_decode_ms": _stats([c for r in results for c in r["clicks_ms"]]),
        "sessions_completed": sum(r["error"] is None for r in results),
        "errors": len(errors), "error_kinds": dict(Counter(kind for _, kind, _ in errors)),
        "error_examples": [f"session {i}: {kind}: {text}" for i, kind, text in errors[:10]],
        "peak_rss_mb": {str(p): round(v, 1) for p, v in peaks.items()}, "rss_samples": samples,
        "memory_limit_mb": MEMORY_LIMIT_MB, "training_runs": train, "websocket_sessions_per_replica": spread,
    }


def print_table(s: dict) -> None:
    """The summary as a small table."""
    def row(name, st, unit, fmt):
        if not st["n"]:
            return f"{name:<38} {'—':>10} {'—':>10} {'—':>10} {0:>5}"
        return f"{name:<38} {st['median']:>10{fmt}} {st['p95']:>10{fmt}} {st['max']:>10{fmt}} {st['n']:>5}  {unit}"

    print(f"\n{s['sessions']} concurrent sessions, {s['clicks_per_session']} clicks each, against {s['url']} "
          f"({s['cores']} cores shared by server and browsers; wall {s['wall_s']:.0f} s; "
          f"1-min load average {s['load_average_before'][0]:.1f} before, {s['load_average_after'][0]:.1f} after)")
    print(f"{'':<38} {'median':>10} {'p95':>10} {'max':>10} {'n':>5}")
    print(row("first complete render: default link", s["home_render_s"], "s", ".2f"))
    print(row("first complete render: latent page", s["latent_render_s"], "s", ".2f"))
    print(row("click -> server reply on the page", s["click_to_decode_ms"], "ms", ".0f"))
    print(f"sessions completed: {s['sessions_completed']}/{s['sessions']}; errors: {s['errors']} "
          f"{s['error_kinds'] or ''}")
    for ex in s["error_examples"]:
        print("  ", ex)
    for pid, mb in s["peak_rss_mb"].items():
        flag = "under" if mb < MEMORY_LIMIT_MB else "OVER"
        print(f"server pid {pid}: peak RSS {mb:.0f} MB ({flag} the {MEMORY_LIMIT_MB} MB limit; "
              f"{s['rss_samples']} samples every 0.2 s)")
    t = s["training_runs"]
    print(f"training runs: {t['runs']} ({', '.join(f'{Path(p).name}: {n}' for p, n in t['per_log'].items())})"
          if t["logged"] else f"training runs: {t['note']}")
    if s["websocket_sessions_per_replica"]:
        print("websocket sessions per replica:", s["websocket_sessions_per_replica"])


def main() -> None:
    """Run the load test and print and save its summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--clicks", type=int, default=3, help="clicks on the latent map per session")
    env = os.environ.get
    ap.add_argument("--url", default=env("AEVIZ_PROXY_URL"), help="an existing server or proxy (default: start one)")
    ap.add_argument("--pids", default=env("AEVIZ_PROXY_PIDS", ""), help="with --url: server pids to watch, a,b")
    ap.add_argument("--train-log", default=env("AEVIZ_TRAIN_LOGS"),
                    help="with --url: the servers' AEVIZ_TRAIN_LOG files, comma-separated")
    ap.add_argument("--access-log", default=env("AEVIZ_PROXY_ACCESS_LOG"),
                    help="nginx access log with upstream=$upstream_addr (deploy/nginx.conf)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds any one step may take")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    args.load_before = list(os.getloadavg())

    proc = None
    if args.url:
        url, pids, log = args.url.rstrip("/"), [int(p) for p in args.pids.split(",") if p], args.train_log
    else:
        from conftest import start_server

        log = os.path.join(tempfile.mkdtemp(prefix="aeviz-load-"), "train.log")
        proc, url = start_server(extra_env={"AEVIZ_TRAIN_LOG": log,  # one line per training run
                                            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"})
        pids = [proc.pid]
    sampler = MemorySampler(pids)
    sampler.start()
    t0 = time.perf_counter()
    try:
        results, errors = asyncio.run(drive(url, args.sessions, args.clicks, 1000 * args.timeout))
    finally:
        wall = time.perf_counter() - t0
        sampler.stop()
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    summary = summarise(results, errors, sampler.peak, sampler.samples, training_runs(log),
                        replica_spread(args.access_log), args, wall)
    print_table(summary)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
