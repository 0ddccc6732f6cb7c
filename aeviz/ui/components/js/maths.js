// aeviz's in-browser maths: pure functions, no DOM. The decoder's and encoder's forward pass and activations, the hole
// rule's standardised nearest code, the interpolation path, the threshold's rates, percentiles and ROC curve,
// the axes' ticks and the number formats. Each repeats a Python function on the same numbers, and
// tests/js/*.test.mjs check them against fixtures the Python functions wrote (tests/test_js.py).

import { ACTIVATIONS } from "./activations.js";

// ------------------------------------------------------------------ bytes from Python

/** The bytes of a base64 string. */
export function bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A typed array (Float32Array, Uint16Array, ...) over the base64 string's bytes (little-endian). */
export function typed(s, Type) {
  const b = bytes(s);
  return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT);
}

/** n 4-bit values packed two to a byte, low nibble first. */
export function nibbles(s, n) {
  const raw = bytes(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (raw[i >> 1] >> ((i & 1) * 4)) & 15;
  return out;
}

/** Base64 little-endian float32 ("f4") or float64 ("f8") bytes as doubles (aeviz.ui.components.threshold.encode_floats). */
export function decodeFloats(b64, dtype = "f4") {
  if (!b64) return new Float64Array(0);
  return Float64Array.from(typed(b64, dtype === "f8" ? Float64Array : Float32Array));
}

// ------------------------------------------------------------------ the decoder

/** A payload layer's weights (out·in, row-major) as float32: exact ("w"), or 16-bit steps q times a step s
 *  per row ("q", "s"; aeviz.analysis.latent_map.quantise_rows). */
export function layerWeights(l) {
  if (l.w) return typed(l.w, Float32Array);
  const q = typed(l.q, Int16Array), s = typed(l.s, Float32Array);
  const w = new Float32Array(l.out * l.in);
  for (let o = 0; o < l.out; o++) for (let i = 0; i < l.in; i++) w[o * l.in + i] = q[o * l.in + i] * s[o];
  return w;
}

/** The decoder's (or encoder's) layers from the payload (aeviz.analysis.latent_map.dense_layers): weights
 *  (out·in) and biases as float32, an activation function or null. */
export function loadLayers(layers) {
  return layers.map((l) => {
    if (l.act && !ACTIVATIONS[l.act]) throw new Error(`unknown activation ${l.act}`);
    return { in: l.in, out: l.out, w: layerWeights(l), b: typed(l.b, Float32Array),
             f: l.act ? ACTIVATIONS[l.act](l.p ?? undefined) : null };
  });
}

/** Decode one latent point z (array of latent numbers) through the layers: the output (Float64Array). */
export function decode(layers, z) {
  let x = Float64Array.from(z);
  for (const L of layers) {
    const y = new Float64Array(L.out);
    const { w, b, f } = L;
    const n = L.in;
    for (let o = 0; o < L.out; o++) {
      let s = 0;
      const off = o * n;
      for (let i = 0; i < n; i++) s += w[off + i] * x[i];
      s += b[o];
      y[o] = f ? f(s) : s;
    }
    x = y;
  }
  return x;
}

/** Encode one input x (array of features) through the encoder's layers: the first `latent` outputs are the
 *  code (a VAE's encoder also emits log σ² after μ; μ is kept), as aeviz.analysis.encode (Float64Array). */
export function encode(layers, x, latent) {
  const out = decode(layers, x);
  return latent ? out.slice(0, latent) : out;
}

// ------------------------------------------------------------------ the hole rule (aeviz.analysis.latent)

/** z in standardised units, u = (z − center) / scale (Float64Array). */
export function standardise(z, center, scale) {
  return Float64Array.from({ length: center.length }, (_, j) => (z[j] - center[j]) / scale[j]);
}

/** The nearest reference code to z in the full latent space, in standardised units: {dist, row}
 *  (aeviz.analysis.latent.CodeIndex.nearest). `model.std` holds the n reference codes, standardised, row-major. */
export function nearest(model, z) {
  const { std, n, latent: k, center, scale } = model;
  const u = standardise(z, center, scale);
  let best = Infinity, row = -1;
  for (let i = 0; i < n; i++) {
    let d = 0;
    const o = i * k;
    for (let j = 0; j < k && d < best; j++) { const t = std[o + j] - u[j]; d += t * t; }
    if (d < best) { best = d; row = i; }
  }
  return { dist: Math.sqrt(best), row };
}

/** The hole test of one point: {dist, row, hole} with hole = dist > r (aeviz.analysis.latent.hole_test). */
export function holeTest(model, z, r) {
  const out = nearest(model, z);
  return { ...out, hole: out.dist > r };
}

/** K evenly spaced points on the segment za → zb, as aeviz.analysis.latent.interpolate: each {t, z, x (the
 *  decoding), dist (standardised, to the nearest reference code), row (that code's training row), hole}. */
export function interpolate(model, za, zb, k, r) {
  const f = Math.fround;  // numpy computes t and the points in float32
  const K = Math.max(2, Math.floor(k)), L = model.latent;
  const out = [];
  for (let i = 0; i < K; i++) {
    const t = f(i === K - 1 ? 1 : i / (K - 1));
    const s = f(1 - t);
    const z = new Float64Array(L);
    for (let j = 0; j < L; j++) z[j] = f(f(s * f(za[j])) + f(t * f(zb[j])));
    const { dist, row } = nearest(model, z);
    out.push({ t, z, x: decode(model.layers, z), dist, row, hole: dist > r });
  }
  return out;
}

/** The labels (colour only) of the training samples nearest the path, in order, repeats merged
 *  (aeviz.analysis.latent.path_labels): label indices. */
export function pathLabels(model, path) {
  const out = [];
  for (const p of path) {
    const lab = model.labels[p.row];
    if (!out.length || out[out.length - 1] !== lab) out.push(lab);
  }
  return out;
}

// ------------------------------------------------------------------ the threshold (aeviz.analysis.anomaly)

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

// The histogram's bins: one rule, aeviz/analysis/anomaly/bins.py's (tests/js/bins.test.mjs checks the two agree).

/** Errors below this are drawn at log10(FLOOR) on a log axis (aeviz.analysis.anomaly.bins.FLOOR). */
export const FLOOR = 1e-8;

/** The x axis' transform: log10 (floored) or the identity (bins.on_axis). */
export function fOf(log) {
  return log ? (v) => Math.log10(Math.max(v, FLOOR)) : (v) => v;
}

/** The chart's bins for these error arrays (bins.bin_layout): the axis from the smallest to the largest placed
 *  value of them all (0 to 1 when there is none), cut into `bins` bins of width `size`. */
export function binLayout(arrays, bins, log) {
  const f = fOf(log);
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of arrays) {
    for (const e of arr) {
      const v = f(e);
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  return { lo, hi, size: hi > lo ? (hi - lo) / bins : 1, bins, log };
}

/** The bin of a position v on the axis (already log10 on a log axis): floor((v - lo) / size), held within 0 to
 *  bins - 1. */
export function binAt(v, layout) {
  const k = Math.floor((v - layout.lo) / layout.size);
  return Number.isNaN(k) ? 0 : Math.min(layout.bins - 1, Math.max(0, k));
}

/** The bin of one error (bins.bin_of). */
export function binOf(e, layout) {
  return binAt(fOf(layout.log)(e), layout);
}

/** Counts per bin of the errors (bins.counts): the bar heights. */
export function histogram(errors, layout) {
  const counts = new Array(layout.bins).fill(0);
  for (const e of errors) counts[binOf(e, layout)]++;
  return counts;
}

// ------------------------------------------------------------------ axes

/** About `count` round ticks from lo to hi (both included when round): the step is span / count rounded to 1, 2 or 5
 *  times a power of ten, halfway points taken on a log scale (so 2.05 rounds to 2, 3.2 to 5). */
export function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0) || !(count > 0)) return Number.isFinite(lo) ? [lo] : [];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const x = raw / mag;
  const step = mag * (x >= Math.sqrt(50) ? 10 : x >= Math.sqrt(10) ? 5 : x >= Math.SQRT2 ? 2 : 1);
  const ticks = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + 1e-9 * span; i++) {
    ticks.push(Number((i * step).toPrecision(12)) || 0);  // no float drift, no -0
  }
  return ticks;
}

/** Ticks at 1-2-5 times powers of ten between 10**lo and 10**hi (as log10 values), fewer mantissas when that
 *  is more than 8 ticks (as aeviz/figures/anomaly.py's log axis). */
export function logTicks(lo, hi) {
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

// ------------------------------------------------------------------ number formats

/** x with `digits` decimals, and no "-0.000" for a number that rounds to zero. */
export function fmtFixed(x, digits = 3) {
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
}

/** x to 4 significant digits, trailing zeros dropped; "—" when not finite. */
export function fmtSig(x) {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : "—";
}

/** A rate as a percentage with one decimal ("83.3%"); "—" for NaN. */
export function fmtPercent(v) {
  return Number.isNaN(v) ? "—" : `${(100 * v).toFixed(1)}%`;
}

/** v rounded to `digits` significant digits, at least 0 (raw thresholds are sent as the number shown). */
export function roundSig(v, digits = 4) {
  if (!(v > 0) || !Number.isFinite(v)) return Math.max(0, v || 0);
  return Number(v.toPrecision(digits));
}

/** Python's f"{x:.3g}". */
export function g3(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const e = Math.floor(Math.log10(Math.abs(x)));
  if (e < -4 || e >= 3) {
    const [m, ex] = x.toExponential(2).split("e");
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(Number(x.toPrecision(3)));
}

/** Python's f"{x:.{d}f}": like toFixed, but an exact tie (0.625 to 2 places) goes to the even digit, not up. */
export function fixed(x, d) {
  const exact = Math.abs(x).toFixed(60);  // a double's exact decimal expansion (to 60 places)
  const dot = exact.indexOf(".");
  const rest = exact.slice(dot + 1 + d);
  if (!/^50*$/.test(rest)) return x.toFixed(d);
  const kept = Number(exact.slice(0, dot + 1 + d).replace(".", ""));  // the digits kept, as an integer
  const n = kept % 2 === 0 ? kept : kept + 1;
  return (Math.sign(x) * n / 10 ** d).toFixed(d);
}
