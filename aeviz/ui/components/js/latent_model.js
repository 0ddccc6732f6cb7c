// The latent map's model, unpacked from the payload Python built once per trained run
// (aeviz.analysis.latent_map.latent_map_payload): the reference codes of the hole rule in standardised units, the
// codes to draw, the map's plane, and the distance field that shades the holes. Pure functions, no DOM.

import { bytes, loadLayers, nibbles, typed } from "./maths.js";

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
  const model = { payload: p, n, latent: k, codes, ref, center, scale, mean, axes, layers: loadLayers(p.decoder),
                  encoder: p.encoder ? loadLayers(p.encoder) : null, draw: p.draw || null };
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
  if (s.kind === "image") {
    const m = s.m ?? n;
    const rows = s.rows ? Array.from(typed(s.rows, Uint32Array)) : null;  // the pictured training rows
    const slot = rows ? new Map(rows.map((row, i) => [row, i])) : null;
    model.samples = { kind: "image", shape: s.shape, x: nibbles(s.x, m * model.features), scale: 1 / s.levels,
                      rows, slot, m };
  } else {
    model.samples = { kind: s.kind, names: s.names, x: typed(s.x, Float32Array), lo: s.lo, hi: s.hi, view: s.view };
  }
  return model;
}

/** The picture to show for training row `row`: {row, slot (its image's index in samples.x), exact}. When
 *  only some images were sent (784 pixels), the nearest pictured row by the rule's standardised distance. */
export function pictured(model, row) {
  const s = model.samples;
  if (!s.rows) return { row, slot: row, exact: true };
  if (s.slot.has(row)) return { row, slot: s.slot.get(row), exact: true };
  const { std, latent: k } = model;
  let best = Infinity, slot = 0;
  s.rows.forEach((r, i) => {
    let d = 0;
    for (let j = 0; j < k; j++) { const t = std[r * k + j] - std[row * k + j]; d += t * t; }
    if (d < best) { best = d; slot = i; }
  });
  return { row: s.rows[slot], slot, exact: false };
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

