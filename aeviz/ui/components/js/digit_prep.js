// A drawn digit as a model input, the way the dataset's images were made: the browser's copy of
// aeviz/analysis/draw.py (same steps, same numbers; tests/js/digit_prep.test.mjs checks them against it).
// Pure functions, no DOM.
//
// A drawing is a list of strokes, each a list of [x, y] points (y down, any unit). The ink's box (of the points)
// is scaled so that, with the pen drawn `width` output pixels wide, its longer side is `box` pixels; it is placed
// in the size × size frame centred, then (MNIST) moved so that its centre of mass is the frame's centre. Each
// pixel is the mean over sub × sub points inside it of the pen's coverage: 1 within width / 2 of the stroke,
// 0 beyond, a linear ramp `soft` pixels wide between.

/** The strokes in output pixels: (x − cx)·scale + ox, (y − cy)·scale + oy. */
function placeStrokes(strokes, cx, cy, scale, ox, oy) {
  return strokes.map((s) => s.map(([x, y]) => [(x - cx) * scale + ox, (y - cy) * scale + oy]));
}

/** The strokes (in output pixels) as a size × size image of mean pen coverage (Float64Array, row-major). */
export function renderInk(strokes, spec) {
  const { size, sub, soft } = spec;
  const half = spec.width / 2, reach = half + soft / 2;
  const n = size * sub;
  const dist = new Float64Array(n * n).fill(Infinity);
  for (const s of strokes) {
    const segs = s.length > 1 ? s.slice(1).map((q, i) => [s[i], q]) : [[s[0], s[0]]];
    for (const [[pu, pv], [qu, qv]] of segs) {
      const dx = qu - pu, dy = qv - pv, l2 = dx * dx + dy * dy;
      // only the subsamples the pen can reach (centres (a + 0.5) / sub within reach of the segment's box)
      const a0 = Math.max(0, Math.floor((Math.min(pu, qu) - reach) * sub - 0.5));
      const a1 = Math.min(n - 1, Math.ceil((Math.max(pu, qu) + reach) * sub - 0.5));
      const b0 = Math.max(0, Math.floor((Math.min(pv, qv) - reach) * sub - 0.5));
      const b1 = Math.min(n - 1, Math.ceil((Math.max(pv, qv) + reach) * sub - 0.5));
      for (let b = b0; b <= b1; b++) {
        const y = (b + 0.5) / sub;
        for (let a = a0; a <= a1; a++) {
          const x = (a + 0.5) / sub;
          const t = l2 > 0 ? Math.min(1, Math.max(0, ((x - pu) * dx + (y - pv) * dy) / l2)) : 0;
          const ex = x - pu - t * dx, ey = y - pv - t * dy;
          const d = Math.sqrt(ex * ex + ey * ey);
          if (d < dist[b * n + a]) dist[b * n + a] = d;
        }
      }
    }
  }
  const img = new Float64Array(size * size);
  for (let b = 0; b < n; b++) {
    for (let a = 0; a < n; a++) {
      const cov = Math.min(1, Math.max(0, (half - dist[b * n + a]) / soft + 0.5));
      img[Math.floor(b / sub) * size + Math.floor(a / sub)] += cov;
    }
  }
  for (let i = 0; i < img.length; i++) img[i] /= sub * sub;
  return img;
}

/** The centre of mass [x, y] of a size × size image (pixel centres at i + 0.5), or null when it is blank. */
export function centreOfMass(img, size) {
  let total = 0, mx = 0, my = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = img[i * size + j];
      total += v; mx += v * (j + 0.5); my += v * (i + 0.5);
    }
  }
  return total > 0 ? [mx / total, my / total] : null;
}

/** A drawing as the dataset's image (Float64Array size·size in [0, 1]), or null for an empty drawing
 *  (aeviz.analysis.draw.preprocess). */
export function preprocess(strokes, spec) {
  const kept = strokes.filter((s) => s.length);
  if (!kept.length) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const s of kept) {
    for (const [x, y] of s) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  const span = Math.max(x1 - x0, y1 - y0);
  const scale = span > 0 ? (spec.box - spec.width) / span : 1;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, mid = spec.size / 2;
  let img = renderInk(placeStrokes(kept, cx, cy, scale, mid, mid), spec);
  const com = spec.centre === "mass" ? centreOfMass(img, spec.size) : null;
  if (com) img = renderInk(placeStrokes(kept, cx, cy, scale, mid + (mid - com[0]), mid + (mid - com[1])), spec);
  return img;
}
