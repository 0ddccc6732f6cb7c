// aeviz: the anomaly threshold you drag, answered in the browser.
//
// Python sends the held-out normal and the anomalous reconstruction errors once per scenario
// (float32 or float64 bytes, base64: the exact numbers Python compares). Every drag, touch or arrow
// key then recomputes the detection rate (TPR), false-alarm rate (FPR), precision, F1 and the ROC
// operating point here, with no message to the server; letting go (or a pause after arrow keys)
// sends the threshold to Python once, so the confusion matrix and the flagged rows follow.
//
// The rule is aeviz/analysis/anomaly.py's: a row is flagged when its error is strictly above the
// threshold (error > τ). Percentiles follow numpy.percentile (method "linear"), the ROC curve
// sklearn.metrics.roc_curve (drop_intermediate=True). tests/test_browser_threshold.py checks all
// three against the Python functions.

// ---- the numbers (pure functions, exported for the tests) ----------------------------------------

/** The numbers in base64 little-endian float32 ("f4") or float64 ("f8") bytes, as doubles. */
export function decodeFloats(b64, dtype = "f4") {
  if (!b64) return new Float64Array(0);
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const size = dtype === "f8" ? 8 : 4;
  const out = new Float64Array(Math.floor(bin.length / size));
  for (let i = 0; i < out.length; i++) {
    out[i] = size === 8 ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
  }
  return out;
}

/** An ascending copy (typed-array sort is numeric). */
export function sortedCopy(values) {
  return Float64Array.from(values).sort();
}

/** How many values of an ascending array are <= t (so length minus this many are > t). */
export function countAtMost(sorted, t) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** detection_metrics on ascending arrays: counts and rates when errors > thr are flagged. */
export function metricsSorted(normalSorted, anomSorted, thr) {
  const tn = countAtMost(normalSorted, thr);
  const fp = normalSorted.length - tn;
  const fn = countAtMost(anomSorted, thr);
  const tp = anomSorted.length - fn;
  return {
    tp, fp, tn, fn,
    detection_rate: tp + fn ? tp / (tp + fn) : NaN,
    false_positive_rate: fp + tn ? fp / (fp + tn) : NaN,
    precision: tp + fp ? tp / (tp + fp) : 0,
    f1: 2 * tp + fp + fn ? (2 * tp) / (tp + fn + (tp + fp)) : 0,
  };
}

/** The same as aeviz.analysis.anomaly.detection_metrics(normal, anomalous, thr), without the matrix. */
export function detectionMetrics(normal, anomalous, thr) {
  return metricsSorted(sortedCopy(normal), sortedCopy(anomalous), thr);
}

/** numpy.percentile(values, p) with the default "linear" method, on an ascending array. */
export function percentile(sorted, p) {
  const n = sorted.length;
  if (!n) return NaN;
  const vi = (n - 1) * (p / 100);
  if (vi >= n - 1) return sorted[n - 1];
  if (vi < 0) return sorted[0];
  const lo = Math.floor(vi);
  const g = vi - lo;
  const a = sorted[lo];
  const b = sorted[lo + 1];
  const d = b - a;
  return g >= 0.5 ? b - d * (1 - g) : a + d * g; // numpy's _lerp, both branches
}

/** The percentile p (0-100) whose linear-interpolated value is e: percentile()'s inverse. */
export function percentileOf(sorted, e) {
  const n = sorted.length;
  if (n < 2 || e <= sorted[0]) return 0;
  if (e >= sorted[n - 1]) return 100;
  const lo = countAtMost(sorted, e) - 1; // sorted[lo] <= e < sorted[lo + 1]
  const a = sorted[lo];
  const b = sorted[lo + 1];
  return (100 * (lo + (b > a ? (e - a) / (b - a) : 0))) / (n - 1);
}

/** sklearn.metrics.roc_curve(y, scores) (normal = 0, anomalous = 1) and its AUC (trapezoids). */
export function rocCurve(normal, anomalous, dropIntermediate = true) {
  const n = normal.length + anomalous.length;
  const s = new Float64Array(n);
  const y = new Uint8Array(n);
  s.set(normal);
  s.set(anomalous, normal.length);
  y.fill(1, normal.length);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[j] - s[i]); // descending
  let fps = [];
  let tps = [];
  let thr = [];
  let cum = 0;
  for (let k = 0; k < n; k++) {
    cum += y[order[k]];
    if (k === n - 1 || s[order[k]] !== s[order[k + 1]]) {
      tps.push(cum);
      fps.push(k + 1 - cum);
      thr.push(s[order[k]]);
    }
  }
  if (dropIntermediate && fps.length > 2) {
    const keep = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]);
    tps = keep.map((i) => tps[i]);
    thr = keep.map((i) => thr[i]);
  }
  fps.unshift(0);
  tps.unshift(0);
  thr.unshift(Infinity);
  const lastF = fps[fps.length - 1];
  const lastT = tps[tps.length - 1];
  const fpr = fps.map((v) => (lastF > 0 ? v / lastF : NaN));
  const tpr = tps.map((v) => (lastT > 0 ? v / lastT : NaN));
  let auc = 0;
  for (let i = 1; i < fpr.length; i++) auc += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return { fps, tps, thresholds: thr, fpr, tpr, auc };
}

/** Counts per bin of f(values) over `bins` equal bins from lo (the figure's own binning). */
export function histogram(fvalues, lo, size, bins) {
  const counts = new Array(bins).fill(0);
  for (const v of fvalues) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / size)))]++;
  return counts;
}

/** v rounded to `digits` significant digits (raw thresholds are sent as the number shown). */
export function roundSig(v, digits = 4) {
  if (!(v > 0) || !Number.isFinite(v)) return Math.max(0, v || 0);
  return Number(v.toPrecision(digits));
}

// ---- the view -------------------------------------------------------------------------------------

const FLOOR = 1e-8; // log10 of errors below this is drawn at its value (aeviz/figures/anomaly.py)
const COMMIT_DELAY = 400; // ms after the last arrow key before the threshold goes to Python
const pct = (v) => (Number.isNaN(v) ? "—" : `${(100 * v).toFixed(1)}%`);
const fmt = (v) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : "—");
const ordinal = (p) => `${p.toFixed(1)}th percentile`;

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
    <div class="roc-wrap"><canvas class="roc" role="img"></canvas></div>
  </div>
  <div class="hint">Drag the dashed line (or tap, or focus the chart and press ← →). Rows to its right are flagged.</div>
  <div class="sr" aria-live="polite"></div>
</div>`;

function fOf(log) {
  return log ? (v) => Math.log10(Math.max(v, FLOOR)) : (v) => v;
}

function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function logTicks(lo, hi) {
  // 1-2-5 ticks between 10**lo and 10**hi, fewer mantissas when that is too many (as the Python figure)
  for (const ms of [[1, 2, 5], [1, 3], [1]]) {
    const ticks = [];
    for (let e = Math.floor(lo) - 1; e <= Math.ceil(hi) + 1; e++) {
      for (const m of ms) {
        const t = Math.log10(m * 10 ** e);
        if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks.push(t);
      }
    }
    if (ticks.length <= 8 || ms.length === 1) return ticks;
  }
  return [];
}

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
      const f = fOf(this.log);
      let lo = Infinity;
      let hi = -Infinity;
      for (const arr of [this.normal, this.anom, this.uploaded]) {
        for (const v of arr) {
          lo = Math.min(lo, f(v));
          hi = Math.max(hi, f(v));
        }
      }
      this.lo = Number.isFinite(lo) ? lo : 0;
      this.hi = Number.isFinite(hi) ? hi : 1;
      const bins = data.bins || 40;
      this.size = this.hi > this.lo ? (this.hi - this.lo) / bins : 1;
      this.bins = bins;
      this.countsN = histogram(Array.from(this.normal, f), this.lo, this.size, bins);
      this.countsA = histogram(Array.from(this.anom, f), this.lo, this.size, bins);
    }
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
    this.dragging = true;
    this.hist.setPointerCapture?.(e.pointerId);
    this.hist.focus({ preventScroll: true });
    e.preventDefault();
    this.apply(this.thresholdAt(e.offsetX), e.timeStamp);
  }

  onMove(e) {
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
    return `Threshold ${fmt(this.thr)}${where}: detection rate ${pct(m.detection_rate)}, ` +
      `false alarms ${pct(m.false_positive_rate)}, precision ${pct(m.precision)}, F1 ${m.f1.toFixed(3)}.`;
  }

  draw() {
    if (!this.data) return;
    const m = metricsSorted(this.normal, this.anom, this.thr);
    this.metrics = m;
    const set = (sel, text) => {
      const el = this.root.querySelector(sel);
      if (el.textContent !== text) el.textContent = text;
    };
    set('[data-m="tpr"]', pct(m.detection_rate));
    set('[data-s="tpr"]', `${m.tp} of ${m.tp + m.fn} anomalies`);
    set('[data-m="fpr"]', pct(m.false_positive_rate));
    set('[data-s="fpr"]', `${m.fp} of ${m.fp + m.tn} normal rows`);
    set('[data-m="precision"]', pct(m.precision));
    set('[data-s="precision"]', `${m.tp} of ${m.tp + m.fp} flagged`);
    set('[data-m="f1"]', m.f1.toFixed(3));
    set('[data-m="thr"]', fmt(this.thr));
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
    const c = this.colours;
    const top = Math.max(1, ...this.countsN, ...this.countsA) * 1.1;
    const yOf = (n) => b.bottom - (n / top) * (b.bottom - b.top);
    const f = fOf(this.log);
    const tx = Math.min(b.right, Math.max(b.left, this.xOf(f(this.thr), b)));
    this.hist.dataset.lineX = tx.toFixed(1); // where the line is, in CSS pixels (tests and the bench aim at it)
    // flagged side shaded
    ctx.fillStyle = "rgba(239, 68, 68, 0.07)";
    ctx.fillRect(tx, b.top, b.right - tx, b.bottom - b.top);
    // grid and axes
    ctx.strokeStyle = "rgba(128, 128, 128, 0.25)";
    ctx.fillStyle = ink;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(0, top, 4)) {
      if (t > top) continue;
      const y = Math.round(yOf(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(b.left, y);
      ctx.lineTo(b.right, y);
      ctx.stroke();
      ctx.fillText(String(t), b.left - 6, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const xticks = this.log ? logTicks(this.lo, this.hi) : niceTicks(this.lo, this.hi, Math.max(2, Math.floor((b.right - b.left) / (90 * this.s))));
    let lastRight = -Infinity;
    for (const t of xticks) {
      const x = this.xOf(t, b);
      const label = this.log ? fmt(10 ** t) : fmt(t);
      const half = ctx.measureText(label).width / 2;
      if (x - half < lastRight + 6) continue;
      lastRight = x + half;
      ctx.fillText(label, x, b.bottom + 5);
    }
    ctx.fillText(this.log ? "reconstruction error (log scale)" : "reconstruction error (MSE per sample)",
      (b.left + b.right) / 2, b.bottom + Math.round(20 * this.s));
    // bars: normal then anomalous, overlaid and translucent
    const bw = ((b.right - b.left) * this.size) / (this.hi - this.lo || 1);
    for (const [counts, colour] of [[this.countsN, c.normal || "#3b82f6"], [this.countsA, c.anomalous || "#ef4444"]]) {
      ctx.globalAlpha = 0.6;
      ctx.fillStyle = colour;
      counts.forEach((n, i) => {
        if (!n) return;
        const x = b.left + i * bw;
        ctx.fillRect(x + 0.5, yOf(n), Math.max(1, bw - 1), b.bottom - yOf(n));
      });
      ctx.globalAlpha = 1;
    }
    // uploaded rows as ticks along the bottom
    if (this.uploaded.length) {
      ctx.strokeStyle = c.upload || "#111827";
      ctx.lineWidth = 2;
      for (const v of this.uploaded) {
        const x = this.xOf(f(v), b);
        ctx.beginPath();
        ctx.moveTo(x, b.bottom);
        ctx.lineTo(x, b.bottom - 10);
        ctx.stroke();
      }
    }
    ctx.strokeStyle = ink;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(b.left, b.bottom + 0.5);
    ctx.lineTo(b.right, b.bottom + 0.5);
    ctx.stroke();
    // legend
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    let lx = b.left;
    const items = [[`normal (held out) (${this.normal.length})`, c.normal || "#3b82f6"], [`anomalous (${this.anom.length})`, c.anomalous || "#ef4444"]];
    if (this.uploaded.length) items.push([`your rows (${this.uploaded.length})`, c.upload || "#111827"]);
    for (const [label, colour] of items) {
      ctx.globalAlpha = 0.6;
      ctx.fillStyle = colour;
      const sq = this.fs;
      ctx.fillRect(lx, Math.round(8 * this.s), sq, sq);
      ctx.globalAlpha = 1;
      ctx.fillStyle = ink;
      ctx.fillText(label, lx + sq + 4, Math.round(8 * this.s) + sq / 2);
      lx += sq + 4 + ctx.measureText(label).width + 14;
    }
    // the threshold line and its grip
    ctx.strokeStyle = c.line || "#111827";
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(tx, b.top - 2);
    ctx.lineTo(tx, b.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = c.line || "#111827";
    ctx.beginPath();
    ctx.arc(tx, b.top + (b.bottom - b.top) / 2, 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(tx - 2.5, b.top + (b.bottom - b.top) / 2 - 3, 1.5, 6);
    ctx.fillRect(tx + 1, b.top + (b.bottom - b.top) / 2 - 3, 1.5, 6);
    const label = `τ = ${fmt(this.thr)}`;
    const lw = ctx.measureText(label).width;
    ctx.fillStyle = ink;
    ctx.textAlign = tx + 6 + lw > b.right ? "right" : "left";
    ctx.fillText(label, ctx.textAlign === "right" ? tx - 6 : tx + 6, b.top + 6);
  }

  drawRoc(m) {
    const { ctx, ink, w, h } = this.context(this.roc);
    const s = this.s || 1;
    const side = Math.min(w - Math.round(50 * s), h - Math.round(62 * s));
    if (side < 40) return;
    const L = Math.round(40 * s);
    const T = Math.round(26 * s);
    const X = (v) => L + v * side;
    const Y = (v) => T + (1 - v) * side;
    const c = this.colours;
    ctx.fillStyle = ink;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(`ROC curve — AUC ${this.curve.auc.toFixed(3)}`, L, Math.round(10 * s));
    ctx.strokeStyle = "rgba(128, 128, 128, 0.35)";
    ctx.lineWidth = 1;
    ctx.strokeRect(X(0), Y(1), side, side);
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(X(0), Y(0));
    ctx.lineTo(X(1), Y(1));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = "right";
    for (const v of [0, 0.5, 1]) ctx.fillText(String(v), X(0) - 5, Y(v));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of [0, 0.5, 1]) ctx.fillText(String(v), X(v), Y(0) + 4);
    ctx.fillText("false-alarm rate", X(0.5), Y(0) + Math.round(18 * s));
    ctx.save();
    ctx.translate(Math.round(11 * s), Y(0.5));
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText("detection rate", 0, 0);
    ctx.restore();
    const { fpr, tpr } = this.curve;
    if (fpr.some(Number.isNaN) || tpr.some(Number.isNaN)) return;
    ctx.strokeStyle = c.normal || "#3b82f6";
    ctx.lineWidth = 2;
    ctx.beginPath();
    fpr.forEach((v, i) => (i ? ctx.lineTo(X(v), Y(tpr[i])) : ctx.moveTo(X(v), Y(tpr[i]))));
    ctx.stroke();
    if (Number.isNaN(m.false_positive_rate) || Number.isNaN(m.detection_rate)) return;
    ctx.fillStyle = c.anomalous || "#ef4444";
    ctx.strokeStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(X(m.false_positive_rate), Y(m.detection_rate), 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    this.roc.setAttribute("aria-label", `ROC curve, AUC ${this.curve.auc.toFixed(3)}; operating point: ` +
      `false alarms ${pct(m.false_positive_rate)}, detection ${pct(m.detection_rate)}`);
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
  view.update(data || {});
  return () => {
    views.get(parentElement)?.destroy();
    views.delete(parentElement);
  };
}
