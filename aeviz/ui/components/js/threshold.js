// aeviz: the anomaly threshold you drag, answered in the browser.
//
// Python sends the held-out normal and the anomalous reconstruction errors once per scenario
// (float32 or float64 bytes, base64: the exact numbers Python compares). Every drag, touch or arrow
// key then recomputes the detection rate (TPR), false-alarm rate (FPR), precision, F1 and the ROC
// operating point here, with no message to the server; letting go (or a pause after arrow keys)
// sends the threshold to Python once, so the confusion matrix and the flagged rows follow.
//
// The rule is aeviz/analysis/anomaly.py's: a row is flagged when its error is strictly above the
// threshold (error > τ). The numbers are maths.js's (percentiles as numpy.percentile, the ROC curve as
// sklearn.metrics.roc_curve), checked against Python by tests/js/maths.test.mjs and
// tests/test_browser_threshold.py; the two charts are drawn by threshold_charts.js.

import { drawHistogram, drawRoc } from "./threshold_charts.js";
import { FLOOR, binAt, binLayout, decodeFloats, fOf, fmtPercent, fmtSig, histogram, metricsSorted, percentile,
  percentileOf, rocCurve, roundSig, sortedCopy } from "./maths.js";

const COMMIT_DELAY = 400; // ms after the last arrow key before the threshold goes to Python
const ordinal = (p) => `${p.toFixed(1)}th percentile`;
const HINT = "Drag the dashed line (or tap, or focus the chart and press ← →). Rows to its right are flagged.";

const HTML = `
<div class="thr">
  <div class="tiles">
    <div class="tile"><div class="lab">Detection rate (TPR)</div><div class="val" data-m="tpr"></div><div class="sub" data-s="tpr"></div></div>
    <div class="tile"><div class="lab">False alarms (FPR)</div><div class="val" data-m="fpr"></div><div class="sub" data-s="fpr"></div></div>
    <div class="tile"><div class="lab">Precision</div><div class="val" data-m="precision"></div><div class="sub" data-s="precision"></div></div>
    <div class="tile"><div class="lab">F1</div><div class="val" data-m="f1"></div><div class="sub">precision &amp; detection</div></div>
    <div class="tile"><div class="lab">Threshold τ</div><div class="val" data-m="thr"></div><div class="sub" data-s="thr"></div></div>
  </div>
  <div class="charts">
    <div class="hist-wrap"><canvas class="hist" tabindex="0" role="slider" aria-orientation="horizontal"
      aria-label="Threshold: drag, tap or use the arrow keys"></canvas></div>
    <div class="roc-wrap"><canvas class="roc" role="img" aria-label="ROC curve"></canvas></div>
  </div>
  <div class="foot"><button type="button" class="pick" aria-pressed="false">Show a bin's samples</button>
    <span class="hint">${HINT}</span></div>
  <div class="sr" aria-live="polite"></div>
</div>`;


class ThresholdView {
  constructor(parent, send) {
    this.send = send;
    this.host = document.createElement("div");
    this.host.innerHTML = HTML;
    parent.appendChild(this.host);
    this.root = this.host.querySelector(".thr");
    this.hist = this.root.querySelector("canvas.hist");
    this.roc = this.root.querySelector("canvas.roc");
    this.sr = this.root.querySelector(".sr");
    this.pickButton = this.root.querySelector("button.pick");
    this.hint = this.root.querySelector(".hint");
    this.picking = false; // after "Show a bin's samples": the next click (or Enter) on the chart picks a bin
    this.hover = null; // the bin under the pointer (or the arrow keys) while picking
    this.dragging = false;
    this.timer = null;
    this.awaiting = null; // the last value sent to Python, until a rerun carries it back
    this.recheck = null;
    this.key = null; // the arrays' identity: a new scenario rebuilds the bins
    this.frame = 0;
    this.lastEvent = 0;
    this.listeners = [];
    const on = (el, type, fn, opts) => {
      el.addEventListener(type, fn, opts);
      this.listeners.push(() => el.removeEventListener(type, fn, opts));
    };
    on(this.hist, "pointerdown", (e) => this.onDown(e));
    on(this.hist, "pointermove", (e) => this.onMove(e));
    on(this.hist, "pointerup", (e) => this.onUp(e));
    on(this.hist, "pointercancel", (e) => this.onUp(e));
    on(this.hist, "keydown", (e) => this.onKey(e));
    on(this.hist, "pointerleave", () => this.picking && this.setHover(null));
    on(this.pickButton, "click", () => this.setPicking(!this.picking));
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.root);
  }

  destroy() {
    clearTimeout(this.timer);
    clearTimeout(this.recheck);
    this.listeners.forEach((off) => off());
    this.resize.disconnect();
    this.host.remove();
  }

  update(data) {
    this.data = data;
    this.mode = data.mode === "raw" ? "raw" : "percentile";
    this.log = Boolean(data.log);
    this.colours = data.colours || {};
    // the charts' text size (presenter mode sends 16 or more); margins grow with it
    this.fs = Math.min(40, Math.max(8, Number(data.font_px) || 12));
    this.s = this.fs / 12;
    this.root.style.setProperty("--thr-small", this.fs > 12 ? `${this.fs}px` : "");
    this.root.classList.toggle("present", this.fs > 12); // presenter mode: shorter charts, so all fits a projector
    const key = `${data.dtype}|${data.normal}|${data.anomalous}|${data.uploaded || ""}|${this.log}`;
    if (key !== this.key) {
      this.key = key;
      this.awaiting = null; // a new scenario: nothing sent before applies to it
      this.normal = sortedCopy(decodeFloats(data.normal, data.dtype));
      this.anom = sortedCopy(decodeFloats(data.anomalous, data.dtype));
      this.uploaded = decodeFloats(data.uploaded, data.dtype);
      this.curve = rocCurve(this.normal, this.anom);
      this.layout = binLayout([this.normal, this.anom, this.uploaded], data.bins || 40, this.log);
      ({ lo: this.lo, hi: this.hi, size: this.size, bins: this.bins } = this.layout);
      this.countsN = histogram(this.normal, this.layout);
      this.countsA = histogram(this.anom, this.layout);
    }
    // the bin whose samples the page lists (Python's word; null when none is listed)
    this.picked = Number.isInteger(data.picked) && data.picked >= 0 && data.picked < this.bins ? data.picked : null;
    this.sync();
  }

  // Python's threshold wins, except mid-drag or mid-keys, and except a rerun older than the last value sent
  // (it would pull the line back for a moment): that one waits until the echo arrives or 5 s pass.
  sync() {
    clearTimeout(this.recheck);
    const data = this.data;
    const python = this.mode === "percentile" ? Number(data.pct) : Number(data.threshold);
    const left = this.awaiting && this.awaiting.mode === this.mode && python !== this.awaiting.value
      ? this.awaiting.until - performance.now() : 0;
    if (left > 0) {
      this.recheck = setTimeout(() => this.sync(), left + 1);
    } else {
      this.awaiting = null;
      if (!this.dragging && this.timer === null) this.setFromPython(data);
    }
    this.draw();
  }

  setFromPython(data) {
    if (this.mode === "percentile") {
      this.p = Number(data.pct);
      this.thr = percentile(this.normal, this.p);
    } else {
      this.p = null;
      this.thr = Number(data.threshold);
    }
  }

  // picking a bin: the button arms it, a click (or Enter) on a bar sends that bar's index to Python once
  setPicking(on) {
    this.picking = on;
    this.hover = on ? (this.hover ?? this.picked ?? binAt(fOf(this.log)(this.thr), this.layout)) : null;
    this.pickButton.setAttribute("aria-pressed", String(on));
    this.pickButton.textContent = on ? "Cancel" : "Show a bin's samples";
    this.hint.textContent = on ? "Click a bar (or press ← → and Enter) to list the samples in it below." : HINT;
    this.hist.classList.toggle("picking", on);
    if (on) this.hist.focus({ preventScroll: true });
    this.draw();
  }

  setHover(k) {
    if (k === this.hover) return;
    this.hover = k;
    this.draw();
  }

  binAtX(px) {
    const b = this.box();
    const frac = Math.min(1, Math.max(0, (px - b.left) / (b.right - b.left)));
    return binAt(this.lo + frac * (this.hi - this.lo), this.layout);
  }

  pick(k) {
    this.picked = k;
    this.setPicking(false);
    this.sr.textContent = `Bin ${k + 1} of ${this.bins} picked: its samples are listed below the chart.`;
    this.sendBin({ index: k });
  }

  // plot geometry of the histogram, in CSS pixels
  box() {
    const w = this.hist.clientWidth;
    const h = this.hist.clientHeight;
    const s = this.s || 1;
    return { left: Math.round(44 * s), right: w - 12, top: Math.round(28 * s), bottom: h - Math.round(36 * s), w, h };
  }

  xOf(fv, b) {
    const span = this.hi - this.lo || 1;
    return b.left + ((fv - this.lo) / span) * (b.right - b.left);
  }

  // a pointer x (CSS pixels in the canvas) to the threshold it means, in the current mode
  thresholdAt(px) {
    const b = this.box();
    const frac = Math.min(1, Math.max(0, (px - b.left) / (b.right - b.left)));
    const fv = this.lo + frac * (this.hi - this.lo);
    const e = this.log ? 10 ** fv : fv;
    if (this.mode === "percentile") return this.fromPercentile(percentileOf(this.normal, e));
    return { p: null, thr: roundSig(Math.max(0, e)) };
  }

  fromPercentile(p) {
    const d = this.data;
    const step = d.pct_step || 0.1;
    const clamped = Math.min(d.pct_max ?? 99.9, Math.max(d.pct_min ?? 50, p));
    const q = Number((Math.round(clamped / step) * step).toFixed(6));
    return { p: q, thr: percentile(this.normal, q) };
  }

  apply(next, eventTime) {
    this.p = next.p;
    this.thr = next.thr;
    this.lastEvent = eventTime;
    this.draw();
  }

  onDown(e) {
    if (e.button !== undefined && e.button > 0) return;
    if (this.picking) {
      e.preventDefault();
      this.pick(this.binAtX(e.offsetX));
      return;
    }
    this.dragging = true;
    this.hist.setPointerCapture?.(e.pointerId);
    this.hist.focus({ preventScroll: true });
    e.preventDefault();
    this.apply(this.thresholdAt(e.offsetX), e.timeStamp);
  }

  onMove(e) {
    if (this.picking) this.setHover(this.binAtX(e.offsetX));
    if (!this.dragging) return;
    e.preventDefault();
    this.apply(this.thresholdAt(e.offsetX), e.timeStamp);
  }

  onUp(e) {
    if (!this.dragging) return;
    this.dragging = false;
    this.hist.releasePointerCapture?.(e.pointerId);
    this.commit();
  }

  onKey(e) {
    const dir = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[e.key];
    if (this.picking) {
      if (dir) this.setHover(Math.min(this.bins - 1, Math.max(0, (this.hover ?? 0) + dir)));
      else if (e.key === "Enter" || e.key === " ") this.pick(this.hover ?? 0);
      else if (e.key === "Escape") this.setPicking(false);
      else return;
      e.preventDefault();
      return;
    }
    let next = null;
    if (dir) {
      const big = e.shiftKey ? 10 : 1;
      if (this.mode === "percentile") {
        next = this.fromPercentile(this.p + dir * big * (this.data.pct_step || 0.1));
      } else {
        const f = fOf(this.log);
        const here = Math.min(this.hi, Math.max(this.lo, f(Math.max(this.thr, FLOOR))));
        const fv = here + (dir * big * (this.hi - this.lo || 1)) / 200;
        next = { p: null, thr: roundSig(Math.max(0, this.log ? 10 ** fv : fv)) };
      }
    } else if (e.key === "Home" || e.key === "End") {
      const b = this.box();
      next = this.thresholdAt(e.key === "Home" ? b.left : b.right);
    }
    if (!next) return;
    e.preventDefault();
    this.apply(next, e.timeStamp);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.commit();
    }, COMMIT_DELAY);
  }

  commit() {
    const value = this.mode === "percentile" ? this.p : this.thr;
    this.sr.textContent = this.summary();
    this.awaiting = { mode: this.mode, value, until: performance.now() + 5000 };
    this.send({ mode: this.mode, value });
  }

  summary() {
    const m = this.metrics;
    const where = this.mode === "percentile" ? ` (${ordinal(this.p)} of normal errors)` : "";
    return `Threshold ${fmtSig(this.thr)}${where}: detection rate ${fmtPercent(m.detection_rate)}, ` +
      `false alarms ${fmtPercent(m.false_positive_rate)}, precision ${fmtPercent(m.precision)}, F1 ${m.f1.toFixed(3)}.`;
  }

  draw() {
    if (!this.data) return;
    const m = metricsSorted(this.normal, this.anom, this.thr);
    this.metrics = m;
    const set = (sel, text) => {
      const el = this.root.querySelector(sel);
      if (el.textContent !== text) el.textContent = text;
    };
    set('[data-m="tpr"]', fmtPercent(m.detection_rate));
    set('[data-s="tpr"]', `${m.tp} of ${m.tp + m.fn} anomalies`);
    set('[data-m="fpr"]', fmtPercent(m.false_positive_rate));
    set('[data-s="fpr"]', `${m.fp} of ${m.fp + m.tn} normal rows`);
    set('[data-m="precision"]', fmtPercent(m.precision));
    set('[data-s="precision"]', `${m.tp} of ${m.tp + m.fp} flagged`);
    set('[data-m="f1"]', m.f1.toFixed(3));
    set('[data-m="thr"]', fmtSig(this.thr));
    set('[data-s="thr"]', this.mode === "percentile" ? ordinal(this.p) : "raw error value");
    this.hist.setAttribute("aria-valuenow", String(this.thr));
    this.hist.setAttribute("aria-valuetext", this.summary());
    this.root.dataset.threshold = String(this.thr);
    this.drawHist();
    this.drawRoc(m);
    this.frame++;
    this.root.dispatchEvent(new CustomEvent("aeviz-threshold-paint", {
      bubbles: true, composed: true, detail: { frame: this.frame, event: this.lastEvent, drawn: performance.now() },
    }));
  }

  context(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const style = getComputedStyle(this.root);
    ctx.font = `${this.fs || 12}px ${style.fontFamily}`;
    return { ctx, ink: style.color, w, h };
  }

  drawHist() {
    const { ctx, ink } = this.context(this.hist);
    const b = this.box();
    if (b.right - b.left < 20 || b.bottom - b.top < 20) return;
    const tx = drawHistogram(ctx, { b, ink, colours: this.colours, countsN: this.countsN, countsA: this.countsA,
      lo: this.lo, hi: this.hi, size: this.size, log: this.log, thr: this.thr, uploaded: this.uploaded,
      nNormal: this.normal.length, nAnom: this.anom.length, fs: this.fs, s: this.s,
      mark: this.picking ? this.hover : this.picked });
    this.hist.dataset.lineX = tx.toFixed(1); // where the line is, in CSS pixels (tests and the bench aim at it)
  }

  drawRoc(m) {
    const { ctx, ink, w, h } = this.context(this.roc);
    const aria = drawRoc(ctx, { w, h, ink, s: this.s || 1, curve: this.curve, metrics: m, colours: this.colours });
    if (aria) this.roc.setAttribute("aria-label", aria);
  }
}

// one view per mounted element: Streamlit calls this again (same parentElement) when the data changes
const views = new WeakMap();

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = views.get(parentElement);
  if (!view) {
    view = new ThresholdView(parentElement, (value) => view.sendFn(value));
    views.set(parentElement, view);
  }
  view.sendFn = (value) => setTriggerValue("threshold", value);
  view.sendBin = (value) => setTriggerValue("bin", value);
  view.update(data || {});
  return () => {
    views.get(parentElement)?.destroy();
    views.delete(parentElement);
  };
}
