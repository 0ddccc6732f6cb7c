"""Draw your own digit: what one frame of drawing costs in the browser's JS, and what the latent map's payload
spends its budget on, on the image datasets' default models.

    python bench/draw_frame.py [--repeats 3]

For each dataset (mnist, fashion_mnist where installed, digits) the default model is trained, its payload built
and its size printed by part against the 600 kB budget. Then node runs the browser's own modules (digit_prep.js,
latent_model.js, maths.js) on a round 0 drawn point by point, as the pad sees it: per new point, preprocess the
drawing, encode it, decode the code and find its nearest code (the hole verdict). Printed: median and p95 per
frame over the points, per repeat, against one 60 Hz frame (16.7 ms), the reference from the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from aeviz import DataConfig, Trainer, build, load  # noqa: E402
from aeviz.analysis import latent as la  # noqa: E402
from aeviz.analysis import latent_map as lm  # noqa: E402
from aeviz.datasets import defaults_for  # noqa: E402
from aeviz.imagefiles import DatasetUnavailable  # noqa: E402

FRAME_MS = 1000 / 60
JS = ROOT / "aeviz" / "ui" / "components" / "js"
NODE = """
import { readFileSync } from "node:fs";
import { preprocess } from "%(js)s/digit_prep.js";
import { loadModel } from "%(js)s/latent_model.js";
import { decode, encode, nearest } from "%(js)s/maths.js";
const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const m = loadModel(p);
const t = Array.from({ length: 61 }, (_, i) => (2 * Math.PI * i) / 60);
const stroke = t.map((a) => [120 + 70 * Math.sin(a), 120 - 90 * Math.cos(a)]);
const times = [];
for (let rep = 0; rep < 3; rep++) {
  for (let k = 1; k <= stroke.length; k++) {
    const t0 = performance.now();
    const img = preprocess([stroke.slice(0, k)], m.draw);
    const z = encode(m.encoder, img, m.latent);
    decode(m.layers, z);
    nearest(m, z);
    if (rep) times.push(performance.now() - t0);  // the first pass warms the JIT
  }
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median: times[times.length >> 1], p95: times[Math.floor(0.95 * times.length)],
                             n: times.length }));
"""


def _payload(name: str) -> dict | None:
    try:
        data = load(DataConfig(name))
    except DatasetUnavailable as e:
        print(f"{name}: not installed ({e})")
        return None
    _, m, t = defaults_for(name)
    run = Trainer(build(m, data, seed=t.seed), data, t).run()
    return lm.latent_map_payload(run.model, data, la.latent_view(run.model, data), run_id=f"bench-{name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    node = shutil.which("node") or shutil.which("nodejs")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "frame.mjs"
        script.write_text(NODE % {"js": JS.as_posix()}, encoding="utf-8")
        for name in ("mnist", "fashion_mnist", "digits"):
            p = _payload(name)
            if p is None:
                continue
            size = lm.payload_size(p)
            parts = ", ".join(f"{k} {v / 1000:.1f}" for k, v in lm.payload_parts(p).items() if v > 500)
            print(f"{name}: payload {size / 1000:.1f} kB of {lm.PAYLOAD_BUDGET / 1000:.0f} kB "
                  f"({p['samples']['m']} of {p['n']} sample pictures); kB by part: {parts}")
            if not node:
                print("  node is missing: no frame timing")
                continue
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(p), encoding="utf-8")
            runs = []
            for _ in range(args.repeats):
                out = subprocess.run([node, str(script), str(path)], capture_output=True, text=True, check=True)
                runs.append(json.loads(out.stdout))
            med = [r["median"] for r in runs]
            print(f"  one drawing frame (preprocess + encode + decode + nearest code), {runs[0]['n']} frames x "
                  f"{len(runs)} runs: median {np.median(med):.2f} ms (runs {', '.join(f'{v:.2f}' for v in med)}), "
                  f"p95 {max(r['p95'] for r in runs):.2f} ms; one 60 Hz frame is {FRAME_MS:.1f} ms")


if __name__ == "__main__":
    main()
