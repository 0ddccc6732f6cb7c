// aeviz's latent traversals: one row per code unit, the mean code with that unit swept over ±span standard
// deviations (of that unit over the training codes), every code decoded here, in the browser.
//
// Python (aeviz/ui/units.py) sends once per run the decoder's layers (aeviz.analysis.latent_map.decoder_layers),
// the codes' per-unit mean and standard deviation and how a decoding is drawn (aeviz.analysis.units.
// traversal_payload). The steps slider and the offset slider repaint every row with no message to the server.
// `traversalRows` is aeviz.analysis.units.traversal on the same numbers.

import { el, mountInstance, setAttr, setText, sizeCanvas } from "./draw.js";
import { decode, loadLayers } from "./maths.js";

const NS = "__aevizTraversal";
const MARK = "#2563eb";

/** `steps` evenly spaced offsets from −span to +span (aeviz.analysis.units.offsets). */
export function offsetsOf(steps, span) {
  const n = Math.max(2, Math.floor(steps));
  return Array.from({ length: n }, (_, i) => -span + (2 * span * i) / (n - 1));
}

/** The mean code with unit j moved to mean_j + t·std_j (a float32 code, as Python decodes it). */
export function sweptCode(mean, std, j, t) {
  const z = Float64Array.from(mean, (m) => Math.fround(m));
  z[j] = Math.fround(mean[j] + t * std[j]);
  return z;
}

/** Every row of the traversal: for each unit j, {j, Z: the codes, X: their decodings} at `offsets`. */
export function traversalRows(layers, mean, std, offsets) {
  return Array.from(mean, (_, j) => {
    const Z = offsets.map((t) => sweptCode(mean, std, j, t));
    return { j, Z, X: Z.map((z) => decode(layers, z)) };
  });
}

/** Draw one decoding x into the box (x0, y0, size): an image of `shape` (0 white, 1 black) or a profile (over the
 *  mean code's decoding `ref` in grey, so a change shows). */
function drawDecoding(ctx, spec, x, x0, y0, size, ref) {
  if (spec.kind === "image") {
    const [h, w] = spec.shape;
    const scratch = spec.scratch || (spec.scratch = document.createElement("canvas"));
    if (scratch.width !== w || scratch.height !== h) { scratch.width = w; scratch.height = h; }
    const sc = scratch.getContext("2d");
    const img = sc.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const g = 255 - Math.round(255 * Math.min(1, Math.max(0, x[i])));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
      img.data[4 * i + 3] = 255;
    }
    sc.putImageData(img, 0, 0);
    const cell = size / Math.max(h, w);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, x0, y0, w * cell, h * cell);
    return;
  }
  const { lo, hi } = spec, n = x.length;
  ctx.fillStyle = "#f8fafc";
  ctx.fillRect(x0, y0, size, size);
  const line = (v, colour, width) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const span = hi[i] > lo[i] ? hi[i] - lo[i] : 1;
      const u = Math.min(1.1, Math.max(-0.1, (v[i] - lo[i]) / span));
      const px = x0 + 3 + ((size - 6) * i) / Math.max(1, n - 1), py = y0 + size - 3 - (size - 6) * u;
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    }
    ctx.stroke();
  };
  if (ref) line(ref, "#cbd5e1", 1);
  line(x, "#3b82f6", 1.5);
}

class TraversalView {
  constructor(parent) {
    this.ac = new AbortController();
    this.run = null;
    this.paints = 0;
    const root = el("div", "tv-wrap", parent);
    this.root = root;
    const bar = el("div", "tv-bar", root);
    const sl = el("label", "tv-range", bar);
    el("span", "", sl).textContent = "Steps";
    this.sInput = el("input", "tv-steps", sl, { type: "range", step: "2" });
    this.sOut = el("output", "tv-val", sl);
    const tl = el("label", "tv-range", bar);
    el("span", "", tl).textContent = "Every unit at";
    this.tInput = el("input", "tv-t", tl, { type: "range", step: "0.1" });
    this.tOut = el("output", "tv-val", tl);
    this.canvas = el("canvas", "tv-rows", root, { role: "img" });
    this.note = el("div", "tv-note", root, { "aria-live": "polite" });
    const opts = { signal: this.ac.signal };
    this.sInput.addEventListener("input", () => { this.steps = Number(this.sInput.value); this.compute(); }, opts);
    this.tInput.addEventListener("input", () => { this.t = Number(this.tInput.value); this.sweep(); }, opts);
    document.addEventListener("aeviz-latent-model", (e) => this.adopt(e.detail), opts);
    this.ro = new ResizeObserver(() => { if (Math.floor(this.root.clientWidth) !== this.W) this.paint(); });
    this.ro.observe(this.root);
  }

  destroy() {
    this.ac.abort();
    this.ro.disconnect();
    this.root.remove();
  }

  /** New data from Python; the model is unpacked only when the run changes. */
  update(data) {
    this.fontPx = Math.min(40, Math.max(8, Number(data.font_px) || 11));
    this.title = String(data.title || "");
    this.text = getComputedStyle(this.root).getPropertyValue("--st-text-color").trim() || "#111827";
    const p = data.payload;
    if (data.run !== this.run || !this.mean) {
      this.run = data.run;
      this.layers = null;
      this.rows = null;
      if (p.decoder) this.layers = loadLayers(p.decoder);
      this.mean = Float64Array.from(p.mean);
      this.std = Float64Array.from(p.std);
      this.spec = p.kind === "image" ? { kind: "image", shape: p.shape } : { kind: "profile", lo: p.lo, hi: p.hi };
      this.span = Number(p.span) || 3;
      this.steps = Number(p.steps) || 9;
      this.t = 0;
      Object.assign(this.sInput, { min: String(p.steps_min || 3), max: String(p.steps_max || 15) });
      Object.assign(this.tInput, { min: String(-this.span), max: String(this.span) });
      this.sInput.value = String(this.steps);
      this.tInput.value = "0";
      if (!this.layers) this.adopt(globalThis.__aevizLatentModel);
      this.compute();
    } else {
      this.paint();
    }
  }

  /** The latent map's decoder (the map on the same page announces its loaded model), when the payload has none. */
  adopt(detail) {
    if (this.layers || !detail || detail.run !== this.run || !detail.model) return;
    this.layers = detail.model.layers;
    this.compute();
  }

  compute() {
    if (!this.layers) {
      setText(this.note, "Waiting for the map above to load the model…");
      return;
    }
    this.base = decode(this.layers, Float64Array.from(this.mean, (m) => Math.fround(m)));  // the mean code's
    this.offsets = offsetsOf(this.steps, this.span);
    this.rows = traversalRows(this.layers, this.mean, this.std, this.offsets);
    this.rowsId = (this.rowsId || 0) + 1;  // the cached sweeps are redrawn
    this.sweep();
  }

  /** The decoding of every row at the offset slider's t. */
  sweep() {
    this.now = Array.from(this.mean, (_, j) => decode(this.layers, sweptCode(this.mean, this.std, j, this.t)));
    this.paint();
  }

  paint() {
    const dpr = window.devicePixelRatio || 1, fs = this.fontPx;
    this.W = Math.floor(this.root.clientWidth);
    setText(this.sOut, String(this.steps));
    setText(this.tOut, `${this.t >= 0 ? "+" : "−"}${Math.abs(this.t).toFixed(1)} σ`);
    if (!this.rows || !this.W) return;
    const k = this.rows.length, n = this.offsets.length;
    const label = Math.round(3.6 * fs), gap = Math.round(1.2 * fs);
    const size = Math.max(14, Math.min(72, Math.floor((this.W - label - gap - 4) / (n + 1.4))));
    const big = Math.round(size * 1.4), rowH = big + 6, head = fs + 8;
    const H = head + k * rowH;
    const text = this.text || "#111827";
    const key = `${this.W}|${H}|${dpr}|${fs}|${text}|${this.rowsId}`;
    if (this.stripKey !== key) {  // the sweeps themselves: drawn once per layout, not per slider move
      this.stripKey = key;
      this.strip = this.strip || document.createElement("canvas");
      const sctx = sizeCanvas(this.strip, this.W, H, dpr);
      sctx.clearRect(0, 0, this.W, H);
      sctx.font = `${fs}px sans-serif`;
      sctx.fillStyle = text;
      sctx.textBaseline = "middle";
      sctx.textAlign = "left";
      sctx.fillText(`−${this.span} σ`, label, head / 2);
      sctx.textAlign = "right";
      sctx.fillText(`+${this.span} σ`, label + n * size - 1, head / 2);
      const slider = sctx.measureText("at the slider").width <= big + gap ? "at the slider" : "now";
      sctx.textAlign = "center";
      sctx.fillText(slider, label + n * size + gap + big / 2, head / 2);
      for (let j = 0; j < k; j++) {
        const y = head + j * rowH + (big - size) / 2;
        sctx.fillStyle = text;
        sctx.textAlign = "left";
        sctx.fillText(`z${j + 1}`, 2, y + size / 2);
        this.rows[j].X.forEach((x, i) => drawDecoding(sctx, this.spec, x, label + i * size, y, size - 1, this.base));
      }
    }
    const ctx = sizeCanvas(this.canvas, this.W, H, dpr);
    ctx.clearRect(0, 0, this.W, H);
    ctx.drawImage(this.strip, 0, 0, this.W, H);
    const xT = label + ((this.t + this.span) / (2 * this.span)) * (n - 1) * size + size / 2;
    for (let j = 0; j < k; j++) {
      drawDecoding(ctx, this.spec, this.now[j], label + n * size + gap, head + j * rowH, big, this.base);
      ctx.strokeStyle = MARK;
      ctx.lineWidth = 2;
      ctx.strokeRect(label + n * size + gap + 1, head + j * rowH + 1, big - 2, big - 2);
    }
    ctx.strokeStyle = MARK;  // where the slider's t falls on the sweeps
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(xT, head - 2);
    ctx.lineTo(xT, head + k * rowH - 4);
    ctx.stroke();
    setAttr(this.canvas, "aria-label", `${this.title} Traversals of ${k} code units, ${n} steps each from `
      + `−${this.span} to +${this.span} standard deviations; the last column decodes every unit at ${this.t.toFixed(1)} σ.`);
    setText(this.note, "Each row keeps every other unit at its mean" + (this.spec.kind === "image" ? ". " : " (grey: "
      + "the mean code's decoding; each feature scaled between its training minimum and maximum). ")
      + "Everything here is decoded in your browser: the sliders send nothing to the server.");
    this.paints++;
  }

  api() {
    const self = this;
    return {
      get paints() { return self.paints; },
      get steps() { return self.steps; },
      get t() { return self.t; },
      state() {
        return self.rows && { offsets: self.offsets.slice(), t: self.t,
          Z: self.rows.map((r) => r.Z.map((z) => Array.from(z))), X: self.rows.map((r) => r.X.map((x) => Array.from(x))),
          now: self.now.map((x) => Array.from(x)) };
      },
    };
  }
}

/** Streamlit's entry point: one TraversalView per mount point, updated in place on every rerun. */
export default function mount(component) {
  const { data, parentElement } = component;
  return mountInstance(parentElement, NS, "aevizTraversal", (parent) => new TraversalView(parent),
    (inst) => inst.update(data));
}
