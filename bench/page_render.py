"""Warm render of each page: what a student's visit costs the server. One of four comparisons:

- `--compare trees` (default): the server CPU of a new visitor's render of every page on a warm server, for
  an older commit (`--before`, default 6cdf5c5, exported with `git archive` to a temporary folder) and for
  this tree, in the same run. Both servers (`streamlit run serve.py`) run side by side; each round opens
  every page `--visits` times on each, each visit a new websocket session speaking Streamlit's protocol
  (no browser, bench/load_protocol.py's client), and reads the server process's CPU time (/proc: user +
  system, every thread; counted in clock ticks, hence several visits per reading) before and after them.
  Every page is visited once first to warm it (trainings, caches). Prints each page's median CPU per
  visit over the `--runs` rounds, its min-max, and the ratio after / before.
- `--compare template`: Plotly's default template set to the house one (as the server does)
  against naming the template on every figure;
- `--compare sharing`: every figure built in every session on every rerun (ui.charts.shared_figure
  bypassed) against the figures shared by every session (as the server does);
- `--compare spec`: shared figures turned into their dict again every time a session draws them against
  turned into it once and kept (as the server does).

    python bench/page_render.py [--runs 5] [--visits 5] [--before 6cdf5c5] [--pages home,latent]
    python bench/page_render.py --compare sharing|spec|template [--runs 5] [--pages reconstruction,compare]

In the three in-process comparisons each page is rendered once to warm the caches, then `--runs` times per
variant, alternating, in one process (AppTest, no browser); they print the medians and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


PAGES = ("home", "train", "architecture", "latent", "reconstruction", "anomaly", "compare")  # "" opens home
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def export(rev: str) -> Path:
    """The files of commit `rev` in a new temporary folder (git archive: no checkout, no worktree)."""
    out = Path(tempfile.mkdtemp(prefix=f"aeviz-{rev[:12]}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


def start(tree: Path) -> tuple[subprocess.Popen, str, Path]:
    """`streamlit run serve.py` of `tree`, headless on a free port; returns (process, URL, log) once healthy."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = Path(tempfile.mkstemp(prefix="aeviz-render-", suffix=".log")[1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=tree, stdout=subprocess.DEVNULL, stderr=log.open("w"), env={**os.environ, "PYTHONPATH": str(tree)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{tree}: streamlit exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{tree}: streamlit did not become healthy in 300 s")


async def visit(url: str, page: str, pid: int, timeout: float = 600) -> tuple[float, list[str]]:
    """A new session that opens `page` and waits for its script to finish; returns (the server's CPU
    seconds from connecting to the end of the run, the exceptions the page showed)."""
    import websockets
    from load_protocol import DONE, Session
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    c0 = cpu_s(pid)
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, ping_interval=None) as ws:
        s = Session(ws, timeout)
        status, _ = await s.run(ClientState(page_name="" if page == "home" else page))
        used = cpu_s(pid) - c0
    if status not in DONE or status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
        s.exceptions.append(f"script ended with status {status}")
    return used, s.exceptions


def compare_trees(args) -> None:
    """Print each page's warm-render server CPU for `--before` and this tree, measured in one run."""
    sys.path[:0] = [str(ROOT / "bench")]
    pages = args.pages.split(",") if args.pages else list(PAGES)
    before = export(args.before)
    trees = {f"before ({args.before[:7]})": before, "after (this tree)": ROOT}
    servers = {}
    try:
        for name, tree in trees.items():
            servers[name] = start(tree)
        for page in pages:  # warm: every page's trainings and caches, on both servers
            for name, (proc, url, _) in servers.items():
                _, errors = asyncio.run(visit(url, page, proc.pid))
                if errors:
                    raise SystemExit(f"{name} {page}: {errors}")
        time.sleep(1)
        cpu = {(page, name): [] for page in pages for name in servers}
        for _ in range(args.runs):
            for page in pages:
                for name, (proc, url, _) in servers.items():
                    c0 = cpu_s(proc.pid)
                    for _ in range(args.visits):
                        _, errors = asyncio.run(visit(url, page, proc.pid))
                        if errors:
                            raise SystemExit(f"{name} {page}: {errors}")
                    time.sleep(0.05)  # the last session's clean-up
                    cpu[page, name].append((cpu_s(proc.pid) - c0) / args.visits)
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
        for proc, _, log in servers.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.unlink(missing_ok=True)
        shutil.rmtree(before, ignore_errors=True)
    names = list(servers)
    print(f"\nserver CPU of one new visitor's render on a warm server, ms: median (min-max) of {args.runs} "
          f"readings of {args.visits} visits each; "
          f"{os.cpu_count()} cores, 1-min load average {os.getloadavg()[0]:.1f}")
    print(f"{'page':<16}" + "".join(f"{n:>28}" for n in names) + f"{'after/before':>14}")
    ratios = []
    for page in pages:
        cells, meds = [], []
        for n in names:
            xs = [1000 * x for x in cpu[page, n]]
            meds.append(statistics.median(xs))
            cells.append(f"{meds[-1]:.0f} ({min(xs):.0f}-{max(xs):.0f})")
        ratios.append(meds[1] / meds[0])
        print(f"{page:<16}" + "".join(f"{c:>28}" for c in cells) + f"{ratios[-1]:>13.2f}×")
    print(f"{'(worst page)':<16}" + " " * 28 * len(names) + f"{max(ratios):>13.2f}×")


def main() -> None:
    """Compare warm page renders in the two variants of `--compare`."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from aeviz.figures import style
    from aeviz.ui import charts

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", help=f"comma-separated (default: {','.join(PAGES)} for trees, "
                                    "architecture,reconstruction,anomaly,compare otherwise)")
    ap.add_argument("--compare", choices=("trees", "template", "sharing", "spec"), default="trees")
    ap.add_argument("--visits", type=int, default=5, help="with --compare trees: visits per CPU reading")
    ap.add_argument("--before", default="6cdf5c5", help="with --compare trees: the commit to compare against")
    args = ap.parse_args()
    if args.compare == "trees":
        return compare_trees(args)
    args.pages = args.pages or "architecture,reconstruction,anomaly,compare"
    original = PagesManager.__init__

    def init(self, *a, **k):  # as tests/conftest.py: st.navigation, not the pages/ folder
        original(self, *a, **k)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    shared = charts._figure

    def per_session(key, build):  # what a page cost before its figures were shared
        return build()

    if args.compare == "template":
        style.use_house_template = lambda: None  # the bench sets the default itself, per variant

        def use(variant):
            pio.templates.default = variant
        variants = {"template named on each figure (before)": "plotly", "house template as default (now)": "plotly_white"}
    elif args.compare == "sharing":
        def use(variant):
            charts._figure = variant
        variants = {"figures built per session (before)": per_session, "figures shared (now)": shared}
    else:
        def use(variant):
            charts.SharedFigure.to_dict = variant
        variants = {"shared figures to dict per draw (before)": go.Figure.to_dict,
                    "shared figures to dict once (now)": charts.SharedFigure.to_dict}
    print(f"{'page':<16}" + "".join(f"{v:>42}" for v in variants) + f"{'ratio':>8}")
    for page in args.pages.split(","):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page(f"pages/{page}.py")
        at.run()  # warm: trains and caches what the page needs
        times: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(args.runs):
            for name, variant in variants.items():
                use(variant)
                t0 = time.perf_counter()
                at.run()
                times[name].append(time.perf_counter() - t0)
                assert not at.exception, [e.value for e in at.exception]
        med = {k: statistics.median(v) for k, v in times.items()}
        before, now = med.values()
        print(f"{page:<16}" + "".join(f"{m * 1000:>39.0f} ms" for m in med.values()) + f"{before / now:>7.2f}×")


if __name__ == "__main__":
    main()
