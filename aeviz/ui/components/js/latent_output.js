// The latent map's decoded output: the decoding of the point under the pointer beside its nearest training
// sample, as two images (digits), bars over the features (tabular data) or a point over the training data
// (points). The map (latent_map.js) owns it and paints it on every move.

import { drawPointCloud, el, setAttr, setText, sizeCanvas } from "./draw.js";
import { pictured } from "./latent_model.js";
import { fmtFixed, niceTicks } from "./maths.js";

/** The output panel inside `panel` (an element the map made). The map sets `width`, `fontPx`, `dpr` and `text`
 *  (the text colour) before painting; `forget()` drops the cached background when they change. */
export class DecodedOutput {
  constructor(panel) {
    this.panel = panel;
    this.model = null;
    this.cloud = null;
  }

  /** The look the map lays out: panel width, text size, pixel ratio, text colour. */
  look({ width, fontPx, dpr, text }) {
    if (width !== this.width || fontPx !== this.fontPx || dpr !== this.dpr || text !== this.text) this.cloud = null;
    Object.assign(this, { width, fontPx, dpr, text });
  }

  /** A new model: the panel's canvases for its kind of sample (images, tabular bars, points). */
  build(model) {
    this.model = model;
    const s = this.model.samples;
    this.panel.textContent = "";
    this.panel.dataset.kind = s.kind;
    if (s.kind === "image") {
      const [h, w] = s.shape;
      const pair = el("div", "lm-pair", this.panel);
      const fig = (caption, aria) => {
        const f = el("figure", "lm-fig", pair);
        const c = el("canvas", "lm-img", f, { width: String(w), height: String(h), role: "img", "aria-label": aria });
        const cap = el("figcaption", "", f);
        cap.textContent = caption;
        return [c, cap];
      };
      [this.outCanvas, this.outCaption] = fig("decoded", "no point decoded yet");
      [this.refCanvas, this.refCaption] = fig("nearest training sample", "no training sample yet");
      this.outImage = this.outCanvas.getContext("2d").createImageData(w, h);
      this.refImage = this.refCanvas.getContext("2d").createImageData(w, h);
    } else {
      this.outCanvas = el("canvas", "lm-plot", this.panel, { role: "img", "aria-label": s.kind === "tabular"
        ? "the decoded features as bars, the nearest training row over them"
        : "the decoded point over the training data" });
      this.refCaption = el("div", "lm-cap", this.panel);
      this.outCaption = null;
      this.cloud = null;
      const decoded = s.kind === "tabular" ? "#3b82f6" : "#ef4444";
      this.keys = [decoded, "#f97316"].map((colour) => {
        const k = el("span", "lm-key", this.refCaption);
        el("span", "lm-dot", k).style.background = colour;
        return el("span", "", k);
      });
      if (s.kind === "points" && s.names.length > 2) {
        el("div", "lm-note", this.panel).textContent =
          `Seen from the side: ${s.names[s.view[0]]} against ${s.names[s.view[1]]}.`;
      }
    }
  }

  /** Paint the decoding s ({x, row, ...}, or null before any point) with its nearest training sample. */
  paint(s, sample, label) {
    const smp = this.model.samples;
    if (smp.kind === "image") this.paintImages(s, sample, label);
    else if (smp.kind === "tabular") this.paintBars(s, sample, label);
    else this.paintPoint(s, sample, label);
  }

  paintImages(s, sample, label) {
    const smp = this.model.samples;
    const F = this.model.features;
    const fill = (img, get) => {
      for (let i = 0; i < F; i++) {
        const g = 255 - Math.round(255 * Math.min(1, Math.max(0, get(i))));
        const o = 4 * i;
        img.data[o] = img.data[o + 1] = img.data[o + 2] = g;
        img.data[o + 3] = 255;
      }
    };
    if (!s) {
      fill(this.outImage, () => 0);
      fill(this.refImage, () => 0);
      setText(this.refCaption, "nearest training sample");
    } else {
      fill(this.outImage, (i) => s.x[i]);
      const pic = pictured(this.model, s.row);
      fill(this.refImage, (i) => smp.x[pic.slot * F + i] * smp.scale);
      if (!pic.exact) {  // only some images were sent: the nearest of those
        sample = this.model.sampleIds[pic.row];
        label = this.model.payload.label_names[this.model.labels[pic.row]];
      }
      setText(this.refCaption, pic.exact ? `nearest: sample ${sample} (${label})`
        : `nearest pictured (${smp.m} sent): sample ${sample} (${label})`);
    }
    this.outCanvas.getContext("2d").putImageData(this.outImage, 0, 0);
    this.refCanvas.getContext("2d").putImageData(this.refImage, 0, 0);
    setAttr(this.outCanvas, "aria-label", s ? "the decoded image" : "no point decoded yet");
    setAttr(this.refCanvas, "aria-label", s ? `the nearest training sample: sample ${sample} (${label})` : "no training sample yet");
  }

  paintBars(s, sample, label) {
    const smp = this.model.samples;
    const F = this.model.features;
    const W = Math.max(200, this.width);
    const fs = this.fontPx || 11, k = fs / 11;
    const rowH = Math.max(17, fs + (fs > 11 ? 2 : 6)), top = 8, bottom = Math.round(44 * k), left = Math.min(Math.round(120 * k),
      Math.round(W * 0.36));
    const H = top + F * rowH + bottom;
    const ctx = sizeCanvas(this.outCanvas, W, H, this.dpr || 1);
    ctx.clearRect(0, 0, W, H);
    const lo = Math.min(...smp.lo, 0), hi = Math.max(...smp.hi, 0);
    const pad = 0.05 * (hi - lo);
    const x0 = lo - pad, x1 = hi + pad;
    const X = (v) => left + ((Math.min(x1, Math.max(x0, v)) - x0) / (x1 - x0)) * (W - left - 8);
    ctx.font = `${fs}px sans-serif`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    const text = this.text;
    for (let i = 0; i < F; i++) {
      const y = top + i * rowH + rowH / 2;
      ctx.fillStyle = text;
      ctx.fillText(smp.names[i], left - 6, y);
      if (s) {
        ctx.fillStyle = "#3b82f6";
        const a = X(0), b = X(s.x[i]);
        ctx.fillRect(Math.min(a, b), y - 5, Math.max(1, Math.abs(b - a)), 10);
      }
    }
    ctx.fillStyle = "#9ca3af";
    ctx.fillRect(X(0), top, 1, F * rowH);
    if (s) {  // the nearest training row over the bars
      ctx.strokeStyle = "#f97316";
      ctx.fillStyle = "#f97316";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let i = 0; i < F; i++) {
        const x = X(smp.x[s.row * F + i]), y = top + i * rowH + rowH / 2;
        if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      }
      ctx.stroke();
      for (let i = 0; i < F; i++) {
        ctx.beginPath();
        ctx.arc(X(smp.x[s.row * F + i]), top + i * rowH + rowH / 2, 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.fillStyle = text;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(x0, x1, 5)) ctx.fillText(String(+t.toPrecision(3)), X(t), top + F * rowH + 4);
    ctx.fillText("standardised value", left + (W - left) / 2, top + F * rowH + Math.round(19 * k));
    setText(this.keys[0], "decoded");
    setText(this.keys[1], s ? `nearest training row: sample ${sample} (${label})` : "nearest training row");
  }

  paintPoint(s, sample, label) {
    const smp = this.model.samples;
    const F = this.model.features;
    const [i0, i1] = smp.view;
    const W = Math.max(200, this.width);
    const H = Math.round(Math.min(320, 0.8 * W));
    const fs = this.fontPx || 11, k = fs / 11;
    const m = { l: Math.round(40 * k), r: 8, t: 8, b: Math.round(34 * k) };
    const x0 = smp.lo[i0], x1 = smp.hi[i0], y0 = smp.lo[i1], y1 = smp.hi[i1];
    const padx = 0.08 * (x1 - x0), pady = 0.08 * (y1 - y0);
    const X = (v) => m.l + ((v - x0 + padx) / (x1 - x0 + 2 * padx)) * (W - m.l - m.r);
    const Y = (v) => m.t + ((y1 + pady - v) / (y1 - y0 + 2 * pady)) * (H - m.t - m.b);
    const dpr = this.dpr || 1;
    if (!this.cloud || this.cloud.W !== W || this.cloud.fs !== fs) {  // the data cloud, drawn once per size
      const c = document.createElement("canvas");
      const ctx = sizeCanvas(c, W, H, dpr);
      drawPointCloud(ctx, { W, H, m, fs, k, text: this.text, smp, n: this.model.n, F, i0, i1, X, Y, x0, x1, y0, y1 });
      this.cloud = { W, H, fs, canvas: c };
    }
    const ctx = sizeCanvas(this.outCanvas, W, H, dpr);
    ctx.clearRect(0, 0, W, H);
    ctx.drawImage(this.cloud.canvas, 0, 0, W, H);
    if (s) {
      const nx = X(smp.x[s.row * F + i0]), ny = Y(smp.x[s.row * F + i1]);
      const clampX = (v) => Math.min(W - m.r, Math.max(m.l, v)), clampY = (v) => Math.min(H - m.b, Math.max(m.t, v));
      const dx = clampX(X(s.x[i0])), dy = clampY(Y(s.x[i1]));
      ctx.strokeStyle = "#f97316";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(nx, ny, 6, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.strokeStyle = "#ef4444";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(dx - 6, dy - 6); ctx.lineTo(dx + 6, dy + 6);
      ctx.moveTo(dx - 6, dy + 6); ctx.lineTo(dx + 6, dy - 6);
      ctx.stroke();
    }
    const vals = s ? ` (${Array.from(s.x, (v) => fmtFixed(v, 2)).join(", ")})` : "";
    setText(this.keys[0], `decoded point${vals}`);
    setText(this.keys[1], s ? `nearest training sample ${sample} (${label})` : "nearest training sample");
  }
}
