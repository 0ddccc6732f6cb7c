// aeviz's latent map: the decoder runs here, in the browser, on every pointer move.
//
// Python (aeviz/analysis/latent_map.py) sends once per trained model: the hole rule's reference codes with their
// per-unit mean and standard deviation, the codes to draw, their labels, the plane the map shows, the decoder's
// layers and the hole radius. This module draws the codes, shades the holes (standardised distance to the
// nearest reference code > r, the rule of aeviz.analysis.latent), and on every pointer move, tap or arrow key
// decodes the point under it and repaints the decoded output beside the map in the same frame, with no message
// to the server. A click, a tap, Enter or letting go of the arrow keys sends the point to Python (trigger
// "pick"); releasing the radius slider sends r (state "r"). The pure functions (loadModel, decode, nearest, holeTest, toLatent, project) are exported
// for tests.

const NS = "__aevizLatentMap";
const HOLE_RGB = [239, 68, 68];
const OK_COLOUR = "#16a34a";
const HOLE_COLOUR = "#dc2626";
const FIELD_COLUMNS = 180;

// ------------------------------------------------------------------ the model: pure functions

function bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function typed(s, Type) {
  const b = bytes(s);
  return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT);
}

function nibbles(s, n) {
  const raw = bytes(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (raw[i >> 1] >> ((i & 1) * 4)) & 15;
  return out;
}

const ACTIVATIONS = {
  relu: () => (x) => (x > 0 ? x : 0),
  tanh: () => Math.tanh,
  sigmoid: () => (x) => 1 / (1 + Math.exp(-x)),
  elu: (layer) => { const alpha = layer.alpha ?? 1; return (x) => (x > 0 ? x : alpha * Math.expm1(x)); },
  leaky_relu: (layer) => { const slope = layer.slope ?? 0.01; return (x) => (x > 0 ? x : slope * x); },
};

/** The decoder's layers from the payload: weights (out·in) and biases as float32, an activation function. */
export function loadLayers(layers) {
  return layers.map((l) => {
    if (l.act && !ACTIVATIONS[l.act]) throw new Error(`unknown activation ${l.act}`);
    return { in: l.in, out: l.out, w: typed(l.w, Float32Array), b: typed(l.b, Float32Array),
             f: l.act ? ACTIVATIONS[l.act](l) : null };
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

/** Everything the map needs, unpacked from the payload Python built (aeviz.analysis.latent_map).
 *
 *  The hole rule (aeviz.analysis.latent): distances are measured in standardised units, u = (z − center) / scale,
 *  to the reference codes (the codes the decoder was trained on; for a VAE one sampled z = μ + σ·ε per sample).
 *  The map draws `coords` (the codes, μ for a VAE); the nearest-code searches use `ref*`. */
export function loadModel(p) {
  const n = p.n, k = p.latent;
  const ref = Float64Array.from(typed(p.ref.x, Float32Array));
  const center = Float64Array.from(p.ref.center), scale = Float64Array.from(p.ref.scale);
  let codes = ref;
  if (p.codes) {
    const { lo, hi } = p.codes;
    const q = typed(p.codes.q, Uint16Array);
    codes = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const span = hi[j] > lo[j] ? hi[j] - lo[j] : 1;
        codes[i * k + j] = lo[j] + (q[i * k + j] / 65535) * span;
      }
    }
  }
  const mean = Float64Array.from(p.plane.mean);
  const axes = p.plane.axes.map((a) => Float64Array.from(a));
  const model = { payload: p, n, latent: k, codes, ref, center, scale, mean, axes, layers: loadLayers(p.decoder) };
  model.std = new Float64Array(n * k);  // the reference codes in standardised units
  for (let i = 0; i < n * k; i++) model.std[i] = (ref[i] - center[i % k]) / scale[i % k];
  // the map's plane in standardised units, w0 + a·v₁ + b·v₂ (vᵣ = uᵣ / scale), with an orthonormal basis
  // e₁, e₂:
  // (a, b) ↦ (α, β) = (A00·a + A01·b, A11·b) are coordinates in which distances are the rule's distances
  const w0 = Float64Array.from(mean, (m, j) => (m - center[j]) / scale[j]);
  const v = axes.map((u) => Float64Array.from(u, (x, j) => x / scale[j]));
  const dot = (x, y) => x.reduce((s, xj, j) => s + xj * y[j], 0);
  const n1 = Math.sqrt(dot(v[0], v[0]));
  const e = [Float64Array.from(v[0], (x) => x / n1)];
  let A = [n1, 0, 0];
  if (v.length > 1) {
    const c = dot(v[1], e[0]);
    const rest = Float64Array.from(v[1], (x, j) => x - c * e[0][j]);
    const n2 = Math.sqrt(dot(rest, rest));
    e.push(Float64Array.from(rest, (x) => (n2 > 0 ? x / n2 : 0)));
    A = [n1, c, n2];
  }
  model.stdPlane = { w0, e, A };
  // plane coordinates of the drawn codes; of the reference codes, in the map's units (where the nearest code
  // is marked) and in standardised plane units (α, β) with their squared standardised distance off the plane
  const coords = new Float64Array(n * 2);
  const refCoords = new Float64Array(n * 2);
  const refPlane = new Float64Array(n * 2);
  const off = new Float64Array(n);
  const jitter = p.jitter ? typed(p.jitter, Uint8Array) : null;
  for (let i = 0; i < n; i++) {
    const [a, b] = project(model, codes.subarray(i * k, i * k + k));
    coords[2 * i] = a;
    coords[2 * i + 1] = jitter ? jitter[i] / 127.5 - 1 : b;
    const [ra, rb] = project(model, ref.subarray(i * k, i * k + k));
    refCoords[2 * i] = ra;
    refCoords[2 * i + 1] = jitter ? coords[2 * i + 1] : rb;
    let all = 0, al = 0, be = 0;
    for (let j = 0; j < k; j++) {
      const d = model.std[i * k + j] - w0[j];
      all += d * d;
      al += d * e[0][j];
      if (e.length > 1) be += d * e[1][j];
    }
    refPlane[2 * i] = al;
    refPlane[2 * i + 1] = be;
    off[i] = Math.max(0, all - al * al - be * be);
  }
  model.coords = coords;
  model.refCoords = refCoords;
  model.refPlane = refPlane;
  model.off = off;
  // the ball of radius r seen on the map: its half-widths along the map's axes per unit of r (‖uᵣ·scale‖)
  model.rAxes = axes.map((u) => Math.sqrt(u.reduce((s, x, j) => s + (x * scale[j]) ** 2, 0)));
  model.labels = p.labels_packed ? nibbles(p.labels, n) : typed(p.labels, Uint8Array);
  const mask = bytes(p.train_mask);
  const idx = [];
  for (let i = 0; i < mask.length * 8 && idx.length < n; i++) if ((mask[i >> 3] >> (i & 7)) & 1) idx.push(i);
  model.sampleIds = idx;
  const s = p.samples;
  model.features = p.decoder[p.decoder.length - 1].out;
  model.samples = s.kind === "image"
    ? { kind: "image", shape: s.shape, x: nibbles(s.x, n * model.features), scale: 1 / s.levels }
    : { kind: s.kind, names: s.names, x: typed(s.x, Float32Array), lo: s.lo, hi: s.hi, view: s.view };
  return model;
}

/** Standardised plane coordinates (α, β) of map point (a, b): distances in them are the rule's distances. */
export function stdPlane(model, a, b) {
  const [A00, A01, A11] = model.stdPlane.A;
  return model.latent === 1 ? [A00 * a, 0] : [A00 * a + A01 * b, A11 * b];
}

/** The latent point (Float64Array) at plane coordinates (a, b): mean + a·u₁ + b·u₂ (b unused for latent 1). */
export function toLatent(model, a, b) {
  const z = Float64Array.from(model.mean);
  const ab = [a, b];
  model.axes.forEach((u, r) => { for (let j = 0; j < z.length; j++) z[j] += ab[r] * u[j]; });
  return z;
}

/** Plane coordinates [a, b] of a latent point z (b = 0 for latent 1). */
export function project(model, z) {
  const out = [0, 0];
  model.axes.forEach((u, r) => {
    let s = 0;
    for (let j = 0; j < z.length; j++) s += (z[j] - model.mean[j]) * u[j];
    out[r] = s;
  });
  return out;
}

/** The hole rule's nearest reference code to z, in the full latent space and standardised units:
 *  {dist, row} (as aeviz.analysis.latent.CodeIndex.nearest). */
export function nearest(model, z) {
  const { std, n, latent: k, center, scale } = model;
  const u = Float64Array.from({ length: k }, (_, j) => (z[j] - center[j]) / scale[j]);
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

/** A k-d tree over the reference codes' standardised plane coordinates, each node with its bounding box and
 *  the smallest distance off the plane among its codes: nearest-code searches over many points prune whole nodes. */
function kdTree(model, leaf = 8) {
  const { refPlane: coords, off, n } = model;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const nodes = [];  // {lo, hi, left, right, a0, a1, b0, b1, off}
  const build = (lo, hi) => {
    let a0 = Infinity, a1 = -Infinity, b0 = Infinity, b1 = -Infinity, o = Infinity;
    for (let s = lo; s < hi; s++) {
      const i = idx[s], a = coords[2 * i], b = coords[2 * i + 1];
      if (a < a0) a0 = a; if (a > a1) a1 = a; if (b < b0) b0 = b; if (b > b1) b1 = b; if (off[i] < o) o = off[i];
    }
    const node = { lo, hi, left: -1, right: -1, a0, a1, b0, b1, off: o };
    const id = nodes.push(node) - 1;
    if (hi - lo > leaf) {
      const axis = a1 - a0 >= b1 - b0 ? 0 : 1;
      const part = Array.from(idx.subarray(lo, hi)).sort((i, j) => coords[2 * i + axis] - coords[2 * j + axis]);
      idx.set(part, lo);
      const mid = (lo + hi) >> 1;
      node.left = build(lo, mid);
      node.right = build(mid, hi);
    }
    return id;
  };
  build(0, n);
  return { idx, nodes };
}

function boxDistance(node, a, b) {
  const da = a < node.a0 ? node.a0 - a : a > node.a1 ? a - node.a1 : 0;
  const db = b < node.b0 ? node.b0 - b : b > node.b1 ? b - node.b1 : 0;
  return da * da + db * db + node.off;
}

/** Squared standardised distance from standardised plane point (a, b) to the nearest reference code, in the
 *  full latent space (each code's distance off the plane added), starting from an upper bound `best`.
 *  Returns [squared distance, row]. */
function kdNearest(model, tree, a, b, best = Infinity, row = -1) {
  const { refPlane: coords, off } = model;
  const { idx, nodes } = tree;
  const stack = [0];
  while (stack.length) {
    const node = nodes[stack.pop()];
    if (boxDistance(node, a, b) >= best) continue;
    if (node.left < 0) {
      for (let s = node.lo; s < node.hi; s++) {
        const i = idx[s];
        const da = coords[2 * i] - a, db = coords[2 * i + 1] - b;
        const d = da * da + db * db + off[i];
        if (d < best) { best = d; row = i; }
      }
      continue;
    }
    const L = nodes[node.left], R = nodes[node.right];
    const dl = boxDistance(L, a, b), dr = boxDistance(R, a, b);
    if (dl < dr) { stack.push(node.right, node.left); } else { stack.push(node.left, node.right); }
  }
  return [best, row];
}

/** The rule's distance (standardised units, full latent space) to the nearest reference code at every cell
 *  centre of a cols × rows grid over map box [a0, b0, a1, b1] (Float32Array, rows from the top). */
export function distanceField(model, box, cols, rows) {
  const out = new Float32Array(cols * rows);
  const [a0, b0, a1, b1] = box;
  const { refPlane: coords, n } = model;
  if (model.latent === 1) {
    const sorted = Float64Array.from({ length: n }, (_, i) => coords[2 * i]).sort();
    for (let c = 0; c < cols; c++) {
      const [a] = stdPlane(model, a0 + ((c + 0.5) / cols) * (a1 - a0), 0);
      let lo = 0, hi = n;
      while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m] < a) lo = m + 1; else hi = m; }
      const d = Math.min(lo < n ? sorted[lo] - a : Infinity, lo > 0 ? a - sorted[lo - 1] : Infinity);
      for (let r = 0; r < rows; r++) out[r * cols + c] = d;
    }
    return out;
  }
  const tree = kdTree(model);
  let row = -1;
  for (let r = 0; r < rows; r++) {
    const b = b1 - ((r + 0.5) / rows) * (b1 - b0);
    for (let c = 0; c < cols; c++) {
      const [sa, sb] = stdPlane(model, a0 + ((c + 0.5) / cols) * (a1 - a0), b);
      let start = Infinity;
      if (row >= 0) {  // the neighbouring cell's nearest code bounds this one's distance
        const da = coords[2 * row] - sa, db = coords[2 * row + 1] - sb;
        start = da * da + db * db + model.off[row] + 1e-12;
      }
      const [d, i] = kdNearest(model, tree, sa, sb, start, row);
      row = i;
      out[r * cols + c] = Math.sqrt(d);
    }
  }
  return out;
}

// ------------------------------------------------------------------ drawing helpers

function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function fmt(x, digits = 3) {
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
}

function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

function el(tag, cls, parent, attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function sizeCanvas(canvas, w, h, dpr) {
  const W = Math.max(1, Math.round(w * dpr)), H = Math.max(1, Math.round(h * dpr));
  if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; }
  const size = `${w}x${h}`;
  if (canvas.dataset.size !== size) {  // style writes only when the size changes: no layout per frame
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    canvas.dataset.size = size;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** The background of a data-space view (line, swiss roll): every training point in grey, the frame, and both
 *  axes with their ticks and feature names. `v` holds the canvas size W×H, margins m, font size fs (k = fs/11),
 *  the text colour, the samples smp with n rows of F features shown as features i0 and i1, the data-to-pixel maps
 *  X and Y and the ranges x0..x1, y0..y1 the ticks cover. The map draws the decoded point over it, the
 *  interpolation strip its path. */
function drawPointCloud(ctx, v) {
  const { W, H, m, fs, k, text, smp, n, F, i0, i1, X, Y, x0, x1, y0, y1 } = v;
  ctx.fillStyle = "#cbd5e1";
  for (let i = 0; i < n; i++) ctx.fillRect(X(smp.x[i * F + i0]) - 1.5, Y(smp.x[i * F + i1]) - 1.5, 3, 3);
  ctx.strokeStyle = "#d1d5db";
  ctx.strokeRect(m.l + 0.5, m.t + 0.5, W - m.l - m.r - 1, H - m.t - m.b - 1);
  ctx.fillStyle = text;
  ctx.font = `${fs}px sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of niceTicks(x0, x1, 4)) ctx.fillText(String(+t.toPrecision(3)), X(t), H - m.b + 4);
  ctx.fillText(smp.names[i0], m.l + (W - m.l - m.r) / 2, H - m.b + Math.round(18 * k));
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of niceTicks(y0, y1, 4)) ctx.fillText(String(+t.toPrecision(3)), m.l - 5, Y(t));
  ctx.save();
  ctx.translate(Math.round(10 * k), m.t + (H - m.t - m.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(smp.names[i1], 0, 0);
  ctx.restore();
}

/** Tell the page's other latent components (the interpolation strip) what the map knows: "aeviz-latent-model"
 *  (the loaded model, also kept on window for a strip mounted later), "aeviz-latent-radius", "aeviz-latent-pick". */
export function tellPage(target, name, detail) {
  if (name === "aeviz-latent-model") globalThis.__aevizLatentModel = detail;
  target.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

/** Mount a component's one instance on its element: made by `make(parent, host)` on the first call and kept
 *  across reruns (Streamlit calls mount again with new data: `update(inst)`), its handle put on the host as
 *  `api`. The cleanup of the newest call alone destroys it. (Shared by the map and the interpolation strip.) */
function mountInstance(parentElement, ns, api, make, update) {
  const host = parentElement.host || parentElement;
  let inst = parentElement[ns];
  if (!inst) {
    inst = make(parentElement, host);
    parentElement[ns] = inst;
    host[api] = inst.api();
  }
  inst.generation = (inst.generation || 0) + 1;
  const generation = inst.generation;
  update(inst);
  return () => {
    if (parentElement[ns] !== inst || inst.generation !== generation) return;  // a newer call owns it
    inst.destroy();
    delete parentElement[ns];
    delete host[api];
  };
}

// ------------------------------------------------------------------ the component

class LatentMap {
  constructor(parent, host) {
    this.parent = parent;
    this.host = host;
    this.ac = new AbortController();
    this.model = null;
    this.runKey = null;
    this.pointSeq = null;
    this.pinned = null;   // {z, a, b, source}
    this.shown = null;    // what the output shows now
    this.r = 1;
    this.send = { pick: () => {}, r: () => {} };
    this.decodes = 0;
    this.build();
  }

  build() {
    const root = el("div", "lm-wrap", this.parent);
    this.root = root;
    const grid = el("div", "lm", root);
    const mapCell = el("div", "lm-mapcell", grid);
    this.mapCell = mapCell;
    this.map = el("div", "lm-map", mapCell, {
      tabindex: "0", role: "application",
      "aria-label": "Latent map. Move the pointer or use the arrow keys to decode any point; press Enter or "
        + "click to send the point to the page. Shaded red areas are holes.",
    });
    this.codesCanvas = el("canvas", "lm-codes", this.map, { "aria-hidden": "true" });
    this.holesCanvas = el("canvas", "lm-holes", this.map, { "aria-hidden": "true" });
    this.overlay = el("canvas", "lm-overlay", this.map, { "aria-hidden": "true" });
    this.legend = el("div", "lm-legend", grid, { "aria-label": "Colours (labels, used for colour only)" });
    const controls = el("div", "lm-controls", grid);
    const label = el("label", "lm-radius", controls);
    el("span", "", label).textContent = "Hole radius r, in code standard deviations";
    this.slider = el("input", "", label, { type: "range", min: "0", step: "any" });
    this.rOut = el("output", "lm-rval", label);
    el("div", "lm-hint", controls).textContent =
      "Move over the map (or drag a finger) to decode; click or tap to keep a point and send it to the page. "
      + "Arrow keys move the point, Enter sends it.";
    const out = el("div", "lm-out", grid);
    this.status = el("div", "lm-status", out);
    this.badge = el("span", "lm-badge", this.status);
    this.statusText = el("span", "lm-stext", this.status);
    this.zText = el("div", "lm-z", out);
    this.panel = el("div", "lm-panel", out);
    this.live = el("div", "lm-sr", out, { "aria-live": "polite", role: "status" });

    const opts = { signal: this.ac.signal };
    const m = this.map;
    m.addEventListener("pointerdown", (e) => this.onDown(e), opts);
    // Chromium delivers pointermove once per frame, just before painting, so a move waits about a frame
    // before it is handled; pointerrawupdate arrives as soon as the move does. Each pointer type is
    // handled through the first of the two it is seen with.
    this.rawTypes = new Set();
    if ("onpointerrawupdate" in window) {
      m.addEventListener("pointerrawupdate", (e) => { this.rawTypes.add(e.pointerType); this.onMove(e); }, opts);
    }
    m.addEventListener("pointermove", (e) => { if (!this.rawTypes.has(e.pointerType)) this.onMove(e); }, opts);
    m.addEventListener("pointerup", (e) => this.onUp(e), opts);
    m.addEventListener("pointercancel", () => { this.dragging = null; this.showPinned(); }, opts);
    m.addEventListener("pointerleave", (e) => { if (!this.dragging && e.pointerType === "mouse") this.showPinned(); }, opts);
    m.addEventListener("keydown", (e) => this.onKey(e), opts);
    m.addEventListener("keyup", (e) => this.onKeyUp(e), opts);
    this.slider.addEventListener("input", () => this.setRadius(Number(this.slider.value), false), opts);
    this.slider.addEventListener("change", () => this.setRadius(Number(this.slider.value), true), opts);
    const forget = () => { this.rect = null; };
    document.addEventListener("scroll", forget, { capture: true, passive: true, signal: this.ac.signal });
    window.addEventListener("resize", forget, opts);
    m.addEventListener("pointerenter", forget, opts);
    this.ro = new ResizeObserver(() => { this.rect = null; this.layout(); });
    this.ro.observe(mapCell);
  }

  destroy() {
    clearTimeout(this.keyTimer);
    this.ac.abort();
    this.ro.disconnect();
    this.root.remove();
  }

  /** New data from Python: a new model rebuilds the map; the same model only updates the point and r. */
  update(data, send) {
    this.send = send;
    // presenter mode (a projector): chart text at data.font_px (at least 16 px there), a shorter map, no hint
    this.fontPx = Math.min(40, Math.max(8, Number(data.font_px) || 11));
    this.maxH = Math.min(520, Math.max(160, Number(data.max_height) || 520));
    this.root.classList.toggle("lm-present", !!data.present);
    const p = data.payload;
    const key = `${p.run}|${p.n}|${p.latent}|${p.ref.x.slice(0, 16)}|${p.decoder[0].w.slice(0, 16)}`;
    if (key !== this.runKey) {
      this.runKey = key;
      this.model = loadModel(p);
      tellPage(this.root, "aeviz-latent-model", { run: p.run, model: this.model });
      this.pinned = null;
      this.pointSeq = null;
      this.fieldKey = null;
      this.buildLegend();
      this.buildPanel();
      this.slider.max = String(p.radius_max);
      this.slider.step = String(p.radius_max / 400);
    }
    const r = Number.isFinite(data.r) ? data.r : p.radius;
    if (r !== this.rFromPython) { this.rFromPython = r; this.setRadius(r, false, true); }
    const pt = data.point;
    // a point this map sent itself ("kept") comes back only to a map that has lost its own (remounted by a rerun)
    if (pt && pt.seq !== this.pointSeq && !(pt.kept && this.pinned)) {
      this.pointSeq = pt.seq;
      const z = Float64Array.from(pt.z);
      const [a, b] = project(this.model, z);
      this.pinned = { z, a, b, source: pt.source || "" };
    } else if (!pt) {
      this.pointSeq = null;
    }
    this.layout(true);
    this.showPinned();
  }

  buildLegend() {
    const p = this.model.payload;
    this.legend.textContent = "";
    p.label_names.forEach((name, k) => {
      const item = el("span", "lm-chip", this.legend);
      el("span", "lm-dot", item).style.background = p.colours[k];
      el("span", "", item).textContent = name;
    });
  }

  buildPanel() {
    const s = this.model.samples;
    this.panel.textContent = "";
    this.panel.dataset.kind = s.kind;
    if (s.kind === "image") {
      const [h, w] = s.shape;
      const pair = el("div", "lm-pair", this.panel);
      const fig = (caption) => {
        const f = el("figure", "lm-fig", pair);
        const c = el("canvas", "lm-img", f, { width: String(w), height: String(h), role: "img" });
        const cap = el("figcaption", "", f);
        cap.textContent = caption;
        return [c, cap];
      };
      [this.outCanvas, this.outCaption] = fig("decoded");
      [this.refCanvas, this.refCaption] = fig("nearest training sample");
      this.outImage = this.outCanvas.getContext("2d").createImageData(w, h);
      this.refImage = this.refCanvas.getContext("2d").createImageData(w, h);
    } else {
      this.outCanvas = el("canvas", "lm-plot", this.panel, { role: "img", "aria-label": s.kind === "tabular"
        ? "the decoded features as bars, the nearest training event over them"
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

  // ---------------------------------------------------------------- layout and static layers

  layout(force = false) {
    if (!this.model) return;
    const W = Math.floor(this.mapCell.clientWidth);
    if (!W || (!force && W === this.W)) return;
    this.W = W;
    const p = this.model.payload;
    const fs = this.fontPx, k = fs / 11;
    const margin = { l: Math.round(46 * k), r: 10, t: 10, b: Math.round(38 * k) };
    const w = Math.max(60, W - margin.l - margin.r);
    let [a0, b0, a1, b1] = p.box;
    let h;
    if (this.model.latent === 1) {
      h = Math.round(Math.min(260, this.maxH, Math.max(140, 0.4 * w)));
    } else {
      const sx = a1 - a0, sy = b1 - b0;
      const ratio = Math.min(0.95, Math.max(0.55, sy / sx));
      h = Math.round(Math.min(this.maxH, Math.max(Math.min(200, this.maxH), ratio * w)));
      // equal units on both axes: widen the shorter side of the box, centred (the same box at every width
      // unless the height is clamped, so the hole field is computed once)
      const shown = Math.abs(h - ratio * w) > 1 ? h / w : ratio;
      if (shown > sy / sx) { const c = (b0 + b1) / 2, half = (sx * shown) / 2; b0 = c - half; b1 = c + half; }
      else { const c = (a0 + a1) / 2, half = sy / shown / 2; a0 = c - half; a1 = c + half; }
    }
    this.plot = { x: margin.l, y: margin.t, w, h };
    this.view = [a0, b0, a1, b1];
    this.H = h + margin.t + margin.b;
    this.dpr = window.devicePixelRatio || 1;
    this.map.style.height = `${this.H}px`;
    this.textColour = getComputedStyle(this.root).getPropertyValue("--st-text-color").trim() || "#111827";
    this.panelWidth = Math.floor(this.panel.clientWidth || 300);
    this.drawCodes();
    this.computeField();
    this.drawHoles();
    if (this.model.samples.kind !== "image") this.cloud = null;
    this.repaint();
  }

  toPixel(a, b) {
    const { x, y, w, h } = this.plot;
    const [a0, b0, a1, b1] = this.view;
    return [x + ((a - a0) / (a1 - a0)) * w, y + ((b1 - b) / (b1 - b0)) * h];
  }

  fromPixel(px, py) {
    const { x, y, w, h } = this.plot;
    const [a0, b0, a1, b1] = this.view;
    return [a0 + ((px - x) / w) * (a1 - a0), b1 - ((py - y) / h) * (b1 - b0)];
  }

  drawCodes() {
    const { model, plot } = this;
    const ctx = sizeCanvas(this.codesCanvas, this.W, this.H, this.dpr);
    ctx.clearRect(0, 0, this.W, this.H);
    const style = getComputedStyle(this.root);
    const text = style.getPropertyValue("--st-text-color").trim() || "#111827";
    const border = style.getPropertyValue("--st-border-color").trim() || "#d1d5db";
    ctx.strokeStyle = border;
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
    ctx.fillStyle = text;
    const fs = this.fontPx, k = fs / 11;
    ctx.font = `${fs}px sans-serif`;
    const [a0, b0, a1, b1] = this.view;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(a0, a1, Math.max(3, Math.floor(plot.w / (80 * k))))) {
      const [px] = this.toPixel(t, b0);
      ctx.fillRect(px, plot.y + plot.h, 1, 4);
      ctx.fillText(String(+t.toPrecision(4)), px, plot.y + plot.h + 5);
    }
    const titles = model.payload.axis_titles;
    ctx.fillText(titles[0], plot.x + plot.w / 2, plot.y + plot.h + Math.round(21 * k));
    if (model.latent > 1) {
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (const t of niceTicks(b0, b1, Math.max(3, Math.floor(plot.h / (60 * k))))) {
        const [, py] = this.toPixel(a0, t);
        ctx.fillRect(plot.x - 4, py, 4, 1);
        ctx.fillText(String(+t.toPrecision(4)), plot.x - 6, py);
      }
      ctx.save();
      ctx.translate(Math.round(11 * k), plot.y + plot.h / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.fillText(titles[1], 0, 0);
      ctx.restore();
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    ctx.globalAlpha = 0.8;
    const colours = model.payload.colours;
    const radius = model.n > 3000 ? 1.6 : 2.4;
    for (let k = 0; k < colours.length; k++) {
      ctx.fillStyle = colours[k];
      ctx.beginPath();
      for (let i = 0; i < model.n; i++) {
        if (model.labels[i] !== k) continue;
        const [px, py] = this.toPixel(model.coords[2 * i], model.coords[2 * i + 1]);
        ctx.moveTo(px + radius, py);
        ctx.arc(px, py, radius, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.restore();
  }

  computeField() {
    // the distance field on a grid over the view (computed again only when the view's box changes)
    const view = this.view;
    const key = `${this.runKey}|${view.map((v) => v.toPrecision(6)).join(",")}`;
    if (this.fieldKey !== key) {
      const cols = FIELD_COLUMNS;
      const rows = this.model.latent === 1 ? 2 : Math.max(2, Math.round((cols * (view[3] - view[1])) / (view[2] - view[0])));
      this.field = { box: view.slice(), cols, rows, d: distanceField(this.model, view, cols, rows) };
      this.fieldKey = key;
    }
    // the field interpolated to every pixel of the plot (bilinear between cell centres)
    const { w, h } = this.plot;
    const { d, cols, rows, box } = this.field;
    const [fa0, fb0, fa1, fb1] = box;
    const px = new Float32Array(w * h);
    const colAt = new Float32Array(w);
    for (let x = 0; x < w; x++) {
      const [a] = this.fromPixel(this.plot.x + x + 0.5, 0);
      colAt[x] = Math.min(cols - 1, Math.max(0, ((a - fa0) / (fa1 - fa0)) * cols - 0.5));
    }
    for (let y = 0; y < h; y++) {
      const [, b] = this.fromPixel(0, this.plot.y + y + 0.5);
      const fy = Math.min(rows - 1, Math.max(0, ((fb1 - b) / (fb1 - fb0)) * rows - 0.5));
      const r0 = Math.floor(fy), r1 = Math.min(rows - 1, r0 + 1), ty = fy - r0;
      for (let x = 0; x < w; x++) {
        const fx = colAt[x];
        const c0 = Math.floor(fx), c1 = Math.min(cols - 1, c0 + 1), tx = fx - c0;
        const top = d[r0 * cols + c0] * (1 - tx) + d[r0 * cols + c1] * tx;
        const bot = d[r1 * cols + c0] * (1 - tx) + d[r1 * cols + c1] * tx;
        px[y * w + x] = top * (1 - ty) + bot * ty;
      }
    }
    this.pixelField = px;
  }

  drawHoles() {
    const { plot } = this;
    const { w, h } = plot;
    const c = this.holesCanvas;
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    Object.assign(c.style, { left: `${plot.x}px`, top: `${plot.y}px`, width: `${w}px`, height: `${h}px` });
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(w, h);
    const px = this.pixelField, r = this.r, data = img.data;
    let holes = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!(px[i] > r)) continue;
        holes++;
        const edge = (x > 0 && !(px[i - 1] > r)) || (x < w - 1 && !(px[i + 1] > r))
          || (y > 0 && !(px[i - w] > r)) || (y < h - 1 && !(px[i + w] > r));
        const o = 4 * i;
        data[o] = HOLE_RGB[0]; data[o + 1] = HOLE_RGB[1]; data[o + 2] = HOLE_RGB[2];
        data[o + 3] = edge ? 200 : 34;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.holeShare = holes / (w * h);
  }

  setRadius(r, commit, fromPython = false) {
    if (!Number.isFinite(r)) return;
    this.r = Math.max(0, r);
    this.slider.value = String(this.r);
    this.rOut.textContent = this.r.toPrecision(3);
    if (this.pixelField) { this.drawHoles(); this.repaint(); }
    if (commit && !fromPython) this.send.r(this.r);
    if (this.model) tellPage(this.root, "aeviz-latent-radius", { run: this.model.payload.run, r: this.r });
  }

  // ---------------------------------------------------------------- pointer, keys

  eventPlane(e) {
    // the map's place on the page, read once and forgotten on any scroll or resize (no layout per move)
    const rect = this.rect || (this.rect = this.map.getBoundingClientRect());
    const px = Math.min(this.plot.x + this.plot.w, Math.max(this.plot.x, e.clientX - rect.left));
    const py = Math.min(this.plot.y + this.plot.h, Math.max(this.plot.y, e.clientY - rect.top));
    return this.fromPixel(px, py);
  }

  at(a, b, source) {
    return { z: toLatent(this.model, a, b), a, b, source };
  }

  onDown(e) {
    if (!this.model || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    if (e.pointerType === "mouse") this.map.focus({ preventScroll: true });  // then the arrow keys move the point
    try { this.map.setPointerCapture(e.pointerId); } catch { /* synthetic events have no capture */ }
    this.dragging = e.pointerId;
    const [a, b] = this.eventPlane(e);
    this.show(this.at(a, b, e.pointerType === "touch" ? "a tap" : "a click"), e.timeStamp);
  }

  onMove(e) {
    if (!this.model) return;
    if (this.dragging == null && e.pointerType !== "mouse" && e.pointerType !== "pen") return;
    const [a, b] = this.eventPlane(e);
    this.show(this.at(a, b, this.dragging != null ? "a drag" : "the pointer"), e.timeStamp);
  }

  onUp(e) {
    if (this.dragging !== e.pointerId || !this.model) return;
    this.dragging = null;
    const [a, b] = this.eventPlane(e);
    this.pin(this.at(a, b, e.pointerType === "touch" ? "a tap" : "a click"), e.timeStamp);
  }

  onKey(e) {
    if (!this.model) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.pin(this.pinned || this.at(...this.centre(), "the keyboard"), e.timeStamp);
      return;
    }
    const mv = moves[e.key];
    if (!mv) return;
    e.preventDefault();
    clearTimeout(this.keyTimer);
    const [a0, b0, a1, b1] = this.view;
    const step = (e.shiftKey ? 0.1 : 0.02);
    const cur = this.pinned || this.at(...this.centre(), "the keyboard");
    const da = mv[0] * step * (a1 - a0), db = this.model.latent > 1 ? mv[1] * step * (b1 - b0) : 0;
    const a = Math.min(a1, Math.max(a0, cur.a + da)), b = Math.min(b1, Math.max(b0, cur.b + db));
    // move within the plane, keeping any part of z off the plane (e.g. a draw from the prior)
    const z = Float64Array.from(cur.z);
    this.model.axes.forEach((u, r) => { const d = r === 0 ? a - cur.a : b - cur.b; for (let j = 0; j < z.length; j++) z[j] += d * u[j]; });
    this.pinned = { z, a, b, source: "the arrow keys" };
    this.show(this.pinned, e.timeStamp);
    this.announce();
  }

  /** The arrow keys were let go: the point they moved goes to the page once (as Enter would send it). */
  onKeyUp(e) {
    if (!this.model || !e.key.startsWith("Arrow") || !this.pinned || this.pinned.source !== "the arrow keys") return;
    clearTimeout(this.keyTimer);
    this.keyTimer = setTimeout(() => { if (this.pinned) this.sendPick(this.pinned); }, 400);
  }

  centre() {
    const [a0, b0, a1, b1] = this.view;
    return [(a0 + a1) / 2, (b0 + b1) / 2];
  }

  pin(point, t0) {
    this.pinned = point;
    this.show(point, t0);
    this.announce();
    this.sendPick(point);
  }

  sendPick(point) {
    clearTimeout(this.keyTimer);
    tellPage(this.root, "aeviz-latent-pick", { run: this.model.payload.run, a: point.a, b: point.b });
    const s = this.shown && this.shown.z === point.z ? this.shown : { ...point, ...nearest(this.model, point.z) };
    this.send.pick({ z: Array.from(point.z), ab: [point.a, point.b], dist: s.dist, row: s.row,
                     sample: this.model.sampleIds[s.row], source: point.source });
  }

  showPinned() {
    if (this.pinned) this.show(this.pinned);
    else { this.shown = null; this.repaint(); }
  }

  /** Decode a point and repaint the output, status and overlay now (same frame as the event). */
  show(point, t0) {
    const start = performance.now();
    const m = this.model;
    const x = decode(m.layers, point.z);
    const { dist, row } = nearest(m, point.z);  // the hole rule's distance (standardised units)
    this.shown = { ...point, x, dist, row, hole: dist > this.r };
    this.decodes++;
    this.repaint();
    if (t0 !== undefined) {
      this.root.dispatchEvent(new CustomEvent("aeviz-decoded", { bubbles: true, composed: true,
        detail: { t0, start, a: point.a, b: point.b } }));
    }
  }

  repaint() {
    if (!this.model || !this.plot) return;
    this.drawOverlay();
    const s = this.shown;
    const m = this.model;
    if (!s) {
      setText(this.badge, "");
      if (this.badge.className !== "lm-badge") this.badge.className = "lm-badge";
      setText(this.statusText, "Point at the map — at a code or at empty space — to decode that point.");
      setText(this.zText, "");
      this.paintOutput(null);
      return;
    }
    s.hole = s.dist > this.r;
    const sample = m.sampleIds[s.row];
    const label = m.payload.label_names[m.labels[s.row]];
    setText(this.badge, s.hole ? "in a hole" : "not a hole");
    const cls = `lm-badge ${s.hole ? "hole" : "ok"}`;
    if (this.badge.className !== cls) this.badge.className = cls;
    setText(this.statusText, s.hole
      ? `The nearest training code is ${fmt(s.dist)} code standard deviations away, farther than `
        + `r = ${this.r.toPrecision(3)}: training never told the decoder what to output here.`
      : `The nearest training code is ${fmt(s.dist)} code standard deviations away, within `
        + `r = ${this.r.toPrecision(3)}.`);
    const zs = Array.from(s.z.slice(0, 4), (v) => fmt(v)).join(", ") + (s.z.length > 4 ? ", …" : "");
    setText(this.zText, `z = (${zs}) · from ${s.source}`);
    this.paintOutput(s, sample, label);
  }

  announce() {
    const s = this.shown;
    if (!s) return;
    const zs = Array.from(s.z.slice(0, 4), (v) => fmt(v, 2)).join(", ");
    this.live.textContent = `Point z = (${zs}): ${s.hole ? "in a hole" : "not a hole"}, nearest training code `
      + `${fmt(s.dist, 2)} code standard deviations away (r = ${this.r.toPrecision(2)}), training sample ${this.model.sampleIds[s.row]} `
      + `labelled ${this.model.payload.label_names[this.model.labels[s.row]]}.`;
  }

  drawOverlay() {
    const sized = this.overlay.dataset.size === `${this.W}x${this.H}`;
    const ctx = sizeCanvas(this.overlay, this.W, this.H, this.dpr);
    // clear only where the last drawing was: the browser then repaints that part of the map, not all of it
    const [cx0, cy0, cx1, cy1] = sized && this.drawn ? this.drawn : [0, 0, this.W, this.H];
    ctx.clearRect(cx0, cy0, cx1 - cx0, cy1 - cy0);
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const grow = (x, y, pad) => {
      box[0] = Math.min(box[0], x - pad); box[1] = Math.min(box[1], y - pad);
      box[2] = Math.max(box[2], x + pad); box[3] = Math.max(box[3], y + pad);
    };
    this.drawn = box;
    const m = this.model;
    const p = this.pinned;
    const s = this.shown;
    if (p && (!s || s.a !== p.a || s.b !== p.b)) { this.cross(ctx, p.a, p.b, "#6b7280", 5); grow(...this.toPixel(p.a, p.b), 10); }
    if (!s) return;
    const [px, py] = this.toPixel(s.a, s.b);
    // the nearest reference code (for a VAE its sampled z, which need not sit on a drawn μ)
    const [ca, cb] = [m.refCoords[2 * s.row], m.refCoords[2 * s.row + 1]];
    const [qx, qy] = this.toPixel(ca, cb);
    grow(px, py, 12);
    grow(qx, qy, 10);
    ctx.save();
    if (m.latent === 2) {  // the ball of radius r around the point (standardised units, so an ellipse on the map)
      const [rx] = this.toPixel(s.a + this.r * m.rAxes[0], s.b);
      const [, ry] = this.toPixel(s.a, s.b + this.r * m.rAxes[1]);
      const ex = Math.abs(rx - px), ey = Math.abs(py - ry);
      grow(px - ex, py - ey, 3);
      grow(px + ex, py + ey, 3);
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = s.hole ? HOLE_COLOUR : OK_COLOUR;
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.ellipse(px, py, ex, ey, 0, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.strokeStyle = "#111827";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, py);
    ctx.lineTo(qx, qy);
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#f97316";
    ctx.beginPath();
    ctx.arc(qx, qy, 6, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
    this.cross(ctx, s.a, s.b, "#111827", 7);
  }

  cross(ctx, a, b, colour, size) {
    const [x, y] = this.toPixel(a, b);
    ctx.save();
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 4;
    const path = () => { ctx.beginPath(); ctx.moveTo(x - size, y - size); ctx.lineTo(x + size, y + size);
      ctx.moveTo(x - size, y + size); ctx.lineTo(x + size, y - size); };
    path(); ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    path(); ctx.stroke();
    ctx.restore();
  }

  // ---------------------------------------------------------------- the decoded output

  paintOutput(s, sample, label) {
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
      fill(this.refImage, (i) => smp.x[s.row * F + i] * smp.scale);
      setText(this.refCaption, `nearest: sample ${sample} (${label})`);
    }
    this.outCanvas.getContext("2d").putImageData(this.outImage, 0, 0);
    this.refCanvas.getContext("2d").putImageData(this.refImage, 0, 0);
    const aria = s ? "the decoded image" : "no point decoded yet";
    if (this.outCanvas.getAttribute("aria-label") !== aria) this.outCanvas.setAttribute("aria-label", aria);
  }

  paintBars(s, sample, label) {
    const smp = this.model.samples;
    const F = this.model.features;
    const W = Math.max(200, this.panelWidth);
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
    const text = this.textColour;
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
    if (s) {  // the nearest training event over the bars
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
    setText(this.keys[1], s ? `nearest training event: sample ${sample} (${label})` : "nearest training event");
  }

  paintPoint(s, sample, label) {
    const smp = this.model.samples;
    const F = this.model.features;
    const [i0, i1] = smp.view;
    const W = Math.max(200, this.panelWidth);
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
      drawPointCloud(ctx, { W, H, m, fs, k, text: this.textColour, smp, n: this.model.n, F, i0, i1, X, Y, x0, x1, y0, y1 });
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
    const vals = s ? ` (${Array.from(s.x, (v) => fmt(v, 2)).join(", ")})` : "";
    setText(this.keys[0], `decoded point${vals}`);
    setText(this.keys[1], s ? `nearest training sample ${sample} (${label})` : "nearest training sample");
  }

  // ---------------------------------------------------------------- for tests and benchmarks

  api() {
    const self = this;
    return {
      get instance() { return self; },
      get model() { return self.model; },
      state() {
        const s = self.shown;
        return s && { a: s.a, b: s.b, z: Array.from(s.z), x: Array.from(s.x), dist: s.dist, row: s.row,
                      sample: self.model.sampleIds[s.row], hole: s.hole, r: self.r, source: s.source };
      },
      get r() { return self.r; },
      get decodes() { return self.decodes; },
      get view() { return self.view.slice(); },
      codes() { return Array.from(self.model.codes); },
      /** The hole rule's reference codes (float32 values, row-major), as Python's LatentView.index.codes. */
      reference() { return Array.from(self.model.ref); },
      /** Client (page) coordinates of plane point (a, b). */
      toClient(a, b) {
        const rect = self.map.getBoundingClientRect();
        const [x, y] = self.toPixel(a, b);
        return { x: rect.left + x, y: rect.top + y };
      },
      fromClient(x, y) {
        const rect = self.map.getBoundingClientRect();
        return self.fromPixel(x - rect.left, y - rect.top);
      },
      /** The shading drawn at client point (x, y): the hole canvas's alpha (0 where no hole). */
      shadeAt(x, y) {
        const rect = self.holesCanvas.getBoundingClientRect();
        const px = Math.floor(x - rect.left), py = Math.floor(y - rect.top);
        return self.holesCanvas.getContext("2d").getImageData(px, py, 1, 1).data[3];
      },
    };
  }
}

/** Streamlit's entry point: called on mount and again whenever the data changes. One LatentMap per
 *  mount point is kept and updated (no flicker, no duplicated listeners); the returned cleanup runs
 *  when Streamlit unmounts the component. */
export default function mount(component) {
  const { data, parentElement, setTriggerValue, setStateValue } = component;
  return mountInstance(parentElement, NS, "aevizLatentMap", (parent, host) => new LatentMap(parent, host),
    (inst) => inst.update(data, { pick: (v) => setTriggerValue("pick", v), r: (v) => setStateValue("r", v) }));
}
