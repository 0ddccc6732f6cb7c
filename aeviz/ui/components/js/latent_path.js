// aeviz's interpolation strip: K points on the straight segment between two codes, decoded here, in the browser.
//
// Python (aeviz/ui/latent_path.py) sends only the endpoints (two training samples' exact codes, or the last two
// clicks on the map), the radius r and the text size. The model itself (the decoder's layers, the reference codes
// and their standardisation) is the one the map on the same page has already loaded: the map announces it
// ("aeviz-latent-model", kept on window for a strip mounted later), and the radius as its slider moves
// ("aeviz-latent-radius") and every click ("aeviz-latent-pick"). Moving K, the step scrubber or the map's radius,
// or clicking the map, repaints the strip with no message to the server. The rule is aeviz.analysis.latent's:
// maths.js's `interpolate` and `pathLabels` are `la.interpolate` and `la.path_labels`.

import { HOLE_COLOUR, drawPointCloud, el, mountInstance, setAttr, setText, sizeCanvas, viridis } from "./draw.js";
import { drawDistanceStrip } from "./path_strip.js";
import { toLatent } from "./latent_model.js";
import { fixed, fmtFixed, g3, interpolate, pathLabels } from "./maths.js";

const PATH_NS = "__aevizLatentPath";
const PATH_BLUE = "#2563eb";

/** The verdict the page prints under the strip: where the path is in a hole, or that it never is. */
export function verdict(path, r) {
  const crossed = path.filter((p) => p.hole).map((p) => p.t);
  if (!crossed.length) return { hole: false, text: `The whole path stays within r = ${g3(r)} of a training code.` };
  return { hole: true, text: `The path is in a hole for t from ${fixed(Math.min(...crossed), 2)} to `
    + `${fixed(Math.max(...crossed), 2)} (${crossed.length} of ${path.length} points, shaded red).` };
}

class LatentPath {
  constructor(parent, host) {
    this.parent = parent;
    this.host = host;
    this.ac = new AbortController();
    this.model = null;
    this.run = null;
    this.k = 12;
    this.step = 0;
    this.r = 1;
    this.clicks = [];
    this.paints = 0;
    this.build();
  }

  build() {
    const root = el("div", "lp-wrap", this.parent);
    this.root = root;
    const bar = el("div", "lp-bar", root);
    const kl = el("label", "lp-range", bar);
    el("span", "", kl).textContent = "K points";
    this.kInput = el("input", "lp-k", kl, { type: "range", min: "3", max: "30", step: "1" });
    this.kOut = el("output", "lp-val", kl);
    const sl = el("label", "lp-range", bar);
    el("span", "", sl).textContent = "Step";
    this.sInput = el("input", "lp-s", sl, { type: "range", min: "1", max: "12", step: "1" });
    this.sOut = el("output", "lp-val", sl);
    this.verdict = el("div", "lp-verdict", root, { role: "status", "aria-live": "polite" });
    this.passes = el("div", "lp-passes", root);
    const grid = el("div", "lp-grid", root);
    const left = el("div", "lp-left", grid);
    this.left = left;
    this.ends = el("div", "lp-ends", left);
    this.tiles = el("canvas", "lp-tiles", left, { role: "img" });
    this.strip = el("canvas", "lp-strip", left, { role: "img" });
    const detail = el("div", "lp-detail", grid);
    this.big = el("canvas", "lp-big", detail, { role: "img" });
    this.detailText = el("div", "lp-dtext", detail, { "aria-live": "polite" });
    this.hint = el("div", "lp-hint", root);
    this.hint.textContent = "Drag K to change the number of points, and move over the tiles or the strip (or use the "
      + "Step slider) to see one decoding large. Everything here is computed in your browser.";

    const opts = { signal: this.ac.signal };
    this.kInput.addEventListener("input", (e) => {  // keep the selected step near the same t
      const t = this.path ? this.step / Math.max(1, this.path.length - 1) : 0.5;
      this.k = Number(this.kInput.value);
      this.step = Math.round(t * (this.k - 1));
      this.compute(e.timeStamp);
    }, opts);
    this.sInput.addEventListener("input", (e) => this.select(Number(this.sInput.value) - 1, e.timeStamp), opts);
    for (const c of [this.tiles, this.strip]) {
      const pick = (e) => { if (e.pointerType === "mouse" || e.buttons) this.select(this.stepAt(c, e), e.timeStamp); };
      c.addEventListener("pointermove", pick, opts);
      c.addEventListener("pointerdown", (e) => this.select(this.stepAt(c, e), e.timeStamp), opts);
    }
    document.addEventListener("aeviz-latent-model", (e) => this.adopt(e.detail), opts);
    document.addEventListener("aeviz-latent-radius", (e) => {
      if (e.detail && e.detail.run === this.run && Number.isFinite(e.detail.r)) this.setR(e.detail.r);
    }, opts);
    document.addEventListener("aeviz-latent-pick", (e) => {
      const d = e.detail;
      if (!d || d.run !== this.run) return;
      this.clicks = [...this.clicks, [d.a, d.b]].slice(-2);
      if (this.source === "clicks") this.compute(e.timeStamp);
    }, opts);
    this.ro = new ResizeObserver(() => { if (Math.floor(this.left.clientWidth) !== this.W) this.paint(); });
    this.ro.observe(this.left);
  }

  destroy() {
    this.ac.abort();
    this.ro.disconnect();
    this.root.remove();
  }

  /** New data from Python: the endpoints, the radius, the text size (the model comes from the map). */
  update(data) {
    this.fontPx = Math.min(40, Math.max(8, Number(data.font_px) || 11));
    this.root.classList.toggle("lp-present", !!data.present);
    const kMin = Number(data.k_min) || 3, kMax = Number(data.k_max) || 30;
    this.kInput.min = String(kMin);
    this.kInput.max = String(kMax);
    if (data.run !== this.run) { this.run = data.run; this.model = null; this.k = Number(data.k) || 12; this.step = Math.floor(this.k / 2); }
    this.k = Math.min(kMax, Math.max(kMin, this.k));
    this.kInput.value = String(this.k);
    this.source = data.source === "clicks" ? "clicks" : "samples";
    this.za = data.za;
    this.zb = data.zb;
    this.endNames = data.ends || ["A", "B"];
    const clicks = JSON.stringify(data.clicks || []);
    if (clicks !== this.clicksFromPython) { this.clicksFromPython = clicks; this.clicks = (data.clicks || []).slice(-2); }
    if (Number.isFinite(data.r) && data.r !== this.rFromPython) { this.rFromPython = data.r; this.r = Math.max(0, data.r); }
    const shared = globalThis.__aevizLatentModel;
    if (!this.model && shared && shared.run === this.run) this.model = shared.model;
    this.text = getComputedStyle(this.root).getPropertyValue("--st-text-color").trim() || "#111827";
    this.compute();
  }

  adopt(detail) {
    if (!detail || detail.run !== this.run || detail.model === this.model) return;
    this.model = detail.model;
    this.compute();
  }

  setR(r) {
    this.r = Math.max(0, r);
    if (!this.path) return;
    for (const p of this.path) p.hole = p.dist > this.r;  // the distances do not depend on r
    this.paint();
  }

  /** The path for the current endpoints and K (decoded here), then the paint. */
  compute(t0) {
    const m = this.model;
    this.path = null;
    this.message = null;
    if (!m) {
      this.message = "Waiting for the map above to load the model…";
    } else if (this.source === "clicks") {
      if (this.clicks.length < 2) {
        this.message = "Click two points on the map above first (or choose two training samples).";
      } else {
        const [p, q] = this.clicks;
        this.path = interpolate(m, toLatent(m, p[0], p[1]), toLatent(m, q[0], q[1]), this.k, this.r);
      }
    } else if (Array.isArray(this.za) && this.za.length === m.latent && this.zb.length === m.latent) {
      this.path = interpolate(m, this.za, this.zb, this.k, this.r);
    } else {
      this.message = "These samples' codes do not fit this model.";
    }
    if (this.path) this.step = Math.min(this.step, this.path.length - 1);
    this.paint(t0);
  }

  select(i, t0) {
    if (!this.path || !Number.isFinite(i)) return;
    const s = Math.min(this.path.length - 1, Math.max(0, i));
    if (s === this.step && t0 !== undefined) return;
    this.step = s;
    this.paint(t0);
  }

  stepAt(canvas, e) {
    if (!this.path) return NaN;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    if (canvas === this.strip) {
      const { l, w } = this.stripBox;
      return Math.round(((x - l) / w) * (this.path.length - 1));
    }
    const L = this.tileLayout;
    if (!L) return NaN;
    if (L.points) {  // the nearest path point on the scatter
      let best = Infinity, idx = 0;
      L.xy.forEach(([px, py], i) => { const d = (px - x) ** 2 + (py - y) ** 2; if (d < best) { best = d; idx = i; } });
      return idx;
    }
    const c = Math.floor(x / L.size), r = Math.floor(y / L.size);
    return Math.min(this.path.length - 1, Math.max(0, r * L.cols + Math.min(L.cols - 1, Math.max(0, c))));
  }

  // ---------------------------------------------------------------- painting

  paint(t0) {
    const start = performance.now();
    this.dpr = window.devicePixelRatio || 1;
    setText(this.kOut, String(this.k));
    const path = this.path;
    this.root.classList.toggle("lp-empty", !path);
    this.W = Math.floor(this.left.clientWidth);  // the tiles' and the strip's column
    if (!path) {
      setText(this.verdict, this.message || "");
      this.verdict.className = "lp-verdict";
      setText(this.passes, "");
      setText(this.ends, "");
      setText(this.sOut, "");
      return;
    }
    const m = this.model;
    this.sInput.max = String(path.length);
    this.sInput.value = String(this.step + 1);
    setText(this.sOut, `${this.step + 1} of ${path.length}`);
    const v = verdict(path, this.r);
    setText(this.verdict, v.text);
    const cls = `lp-verdict ${v.hole ? "hole" : "ok"}`;
    if (this.verdict.className !== cls) this.verdict.className = cls;
    const names = m.payload.label_names;
    setText(this.passes, "Labels of the nearest training sample at each step, from A to B: "
      + pathLabels(m, path).map((k) => names[k]).join(" → ") + ".");
    const [na, nb] = this.source === "clicks" ? ["your second-last click", "your last click"] : this.endNames;
    setText(this.ends, `From A (${na}, left) to B (${nb}, right)`);
    const holes = path.filter((p) => p.hole).length;
    const aria = `${path.length} decodings from A to B, ${holes} of them in a hole (shaded red).`;
    setAttr(this.tiles, "aria-label", aria);
    this.paintTiles();
    this.paintStrip();
    this.paintDetail();
    this.paints++;
    if (t0 !== undefined) {
      this.root.dispatchEvent(new CustomEvent("aeviz-path-painted", { bubbles: true, composed: true,
        detail: { t0, start, k: path.length } }));
    }
  }

  paintTiles() {
    const m = this.model, smp = m.samples, path = this.path, K = path.length;
    const W = Math.max(200, this.W);
    if (smp.kind === "points") { this.paintScatter(W); return; }
    const min = smp.kind === "image" ? 34 : 44;
    const rows = Math.ceil(K / Math.max(1, Math.min(K, Math.floor(W / min))));
    const cols = Math.ceil(K / rows);  // rows of equal length
    const size = Math.min(smp.kind === "image" ? 72 : 90, Math.floor(W / cols));
    const H = rows * size;
    const ctx = sizeCanvas(this.tiles, cols * size, H, this.dpr);
    ctx.clearRect(0, 0, cols * size, H);
    this.tileLayout = { cols, rows, size };
    const F = m.features;
    let lo = 0, hi = 1;
    if (smp.kind !== "image") { lo = Math.min(0, ...smp.lo); hi = Math.max(0, ...smp.hi); }
    path.forEach((p, i) => {
      const x0 = (i % cols) * size, y0 = Math.floor(i / cols) * size;
      if (smp.kind === "image") {
        const [h, w] = smp.shape, cell = (size - 2) / Math.max(h, w);
        for (let r = 0; r < h; r++) {
          for (let c = 0; c < w; c++) {
            const g = 255 - Math.round(255 * Math.min(1, Math.max(0, p.x[r * w + c])));
            ctx.fillStyle = `rgb(${g},${g},${g})`;
            ctx.fillRect(x0 + 1 + c * cell, y0 + 1 + r * cell, cell + 0.5, cell + 0.5);
          }
        }
      } else {  // the decoded features as a profile (gw's 16 features), zero marked
        const Y = (val) => y0 + 3 + ((hi - Math.min(hi, Math.max(lo, val))) / (hi - lo)) * (size - 6);
        ctx.fillStyle = "#9ca3af";
        ctx.fillRect(x0 + 2, Y(0), size - 4, 1);
        ctx.strokeStyle = "#1d4ed8";
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        for (let j = 0; j < F; j++) {
          const x = x0 + 3 + (j / Math.max(1, F - 1)) * (size - 6);
          if (j) ctx.lineTo(x, Y(p.x[j])); else ctx.moveTo(x, Y(p.x[j]));
        }
        ctx.stroke();
      }
      if (p.hole) {
        ctx.fillStyle = "rgba(239,68,68,0.35)";
        ctx.fillRect(x0, y0, size, size);
      }
      ctx.strokeStyle = i === this.step ? PATH_BLUE : p.hole ? HOLE_COLOUR : "#e5e7eb";
      ctx.lineWidth = i === this.step ? 2.5 : 1;
      ctx.strokeRect(x0 + 0.5, y0 + 0.5, size - 1, size - 1);
    });
  }

  paintScatter(W) {
    const m = this.model, smp = m.samples, F = m.features, path = this.path;
    const [i0, i1] = smp.view;
    const H = Math.round(Math.min(360, Math.max(200, 0.55 * W)));
    const fs = this.fontPx, k = fs / 11;
    const mg = { l: Math.round(40 * k), r: 8, t: 8, b: Math.round(34 * k) };
    let x0 = smp.lo[i0], x1 = smp.hi[i0], y0 = smp.lo[i1], y1 = smp.hi[i1];
    for (const p of path) { x0 = Math.min(x0, p.x[i0]); x1 = Math.max(x1, p.x[i0]); y0 = Math.min(y0, p.x[i1]); y1 = Math.max(y1, p.x[i1]); }
    const padx = 0.06 * (x1 - x0 || 1), pady = 0.06 * (y1 - y0 || 1);
    const X = (v) => mg.l + ((v - x0 + padx) / (x1 - x0 + 2 * padx)) * (W - mg.l - mg.r);
    const Y = (v) => mg.t + ((y1 + pady - v) / (y1 - y0 + 2 * pady)) * (H - mg.t - mg.b);
    const ctx = sizeCanvas(this.tiles, W, H, this.dpr);
    ctx.clearRect(0, 0, W, H);
    drawPointCloud(ctx, { W, H, m: mg, fs, k, text: this.text, smp, n: m.n, F, i0, i1, X, Y, x0, x1, y0, y1 });
    const xy = path.map((p) => [X(p.x[i0]), Y(p.x[i1])]);
    ctx.strokeStyle = "#9ca3af";
    ctx.lineWidth = 1;
    ctx.beginPath();
    xy.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    path.forEach((p, i) => {
      const [x, y] = xy[i];
      if (p.hole) {
        ctx.strokeStyle = HOLE_COLOUR;
        ctx.lineWidth = 2.5;
        ctx.beginPath();
        ctx.moveTo(x - 5, y - 5); ctx.lineTo(x + 5, y + 5); ctx.moveTo(x - 5, y + 5); ctx.lineTo(x + 5, y - 5);
        ctx.stroke();
      } else {
        ctx.fillStyle = viridis(p.t);
        ctx.beginPath();
        ctx.arc(x, y, 4, 0, 2 * Math.PI);
        ctx.fill();
      }
      if (i === this.step) {
        ctx.strokeStyle = PATH_BLUE;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.stroke();
      }
    });
    this.tileLayout = { points: true, xy };
  }

  paintStrip() {
    this.stripBox = drawDistanceStrip(this.strip, { path: this.path, r: this.r, step: this.step, W: Math.max(200, this.W),
                                                     fontPx: this.fontPx, dpr: this.dpr, text: this.text });
  }

  paintDetail() {
    const m = this.model, smp = m.samples, p = this.path[this.step], F = m.features;
    const sample = m.sampleIds[p.row], label = m.payload.label_names[m.labels[p.row]];
    const zs = Array.from(p.z.slice(0, 4), (v) => fmtFixed(v, 2)).join(", ") + (p.z.length > 4 ? ", …" : "");
    setText(this.detailText, `Step ${this.step + 1} of ${this.path.length}, t = ${fixed(p.t, 2)}, z = (${zs}): `
      + `${p.hole ? "in a hole" : "not a hole"}, ${fmtFixed(p.dist, 2)} code standard deviations from the nearest `
      + `training code (sample ${sample}, label ${label}).`);
    const fs = this.fontPx;
    if (smp.kind === "image") {
      const [h, w] = smp.shape;
      const size = Math.round(Math.min(160, Math.max(96, 9 * fs)));
      const ctx = sizeCanvas(this.big, size, size, this.dpr);
      const cell = size / Math.max(h, w);
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const g = 255 - Math.round(255 * Math.min(1, Math.max(0, p.x[r * w + c])));
          ctx.fillStyle = `rgb(${g},${g},${g})`;
          ctx.fillRect(c * cell, r * cell, cell + 0.5, cell + 0.5);
        }
      }
      ctx.strokeStyle = p.hole ? HOLE_COLOUR : "#d1d5db";
      ctx.lineWidth = 2;
      ctx.strokeRect(1, 1, size - 2, size - 2);
    } else if (smp.kind === "tabular") {  // the decoded features as bars
      const W = 220, rowH = Math.max(12, fs + 2), left = Math.round(6.5 * fs), H = F * rowH + 6;
      const ctx = sizeCanvas(this.big, W, H, this.dpr);
      ctx.clearRect(0, 0, W, H);
      const lo = Math.min(0, ...smp.lo), hi = Math.max(0, ...smp.hi);
      const X = (v) => left + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (W - left - 4);
      ctx.font = `${Math.max(9, fs - 1)}px sans-serif`;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (let i = 0; i < F; i++) {
        const y = 3 + i * rowH + rowH / 2;
        ctx.fillStyle = this.text;
        ctx.fillText(smp.names[i], left - 4, y, left - 6);
        ctx.fillStyle = p.hole ? HOLE_COLOUR : "#3b82f6";
        const a = X(0), b = X(p.x[i]);
        ctx.fillRect(Math.min(a, b), y - 4, Math.max(1, Math.abs(b - a)), 8);
      }
      ctx.fillStyle = "#9ca3af";
      ctx.fillRect(X(0), 3, 1, F * rowH);
    } else {
      sizeCanvas(this.big, 1, 1, 1);
    }
    const aria = `the decoding at step ${this.step + 1}`;
    setAttr(this.big, "aria-label", aria);
  }

  // ---------------------------------------------------------------- for tests and benchmarks

  api() {
    const self = this;
    return {
      get instance() { return self; },
      get ready() { return !!self.path; },
      get paints() { return self.paints; },
      get k() { return self.k; },
      get r() { return self.r; },
      get message() { return self.message; },
      get clicks() { return self.clicks.map((c) => c.slice()); },
      state() {
        const path = self.path;
        return path && {
          t: path.map((p) => p.t), Z: path.map((p) => Array.from(p.z)), X: path.map((p) => Array.from(p.x)),
          dist: path.map((p) => p.dist), rows: path.map((p) => p.row), holes: path.map((p) => p.hole),
          labels: pathLabels(self.model, path).map((k) => self.model.payload.label_names[k]),
          verdict: self.verdict.textContent, passes: self.passes.textContent, step: self.step, r: self.r,
        };
      },
    };
  }
}

/** Streamlit's entry point: one LatentPath per mount point, updated in place on every rerun. */
export default function mount(component) {
  const { data, parentElement } = component;
  return mountInstance(parentElement, PATH_NS, "aevizLatentPath", (parent, host) => new LatentPath(parent, host),
    (inst) => inst.update(data));
}
