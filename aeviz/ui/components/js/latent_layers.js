// The latent map's layers: the codes with the axes and the hole shading, drawn again only when
// the map's size, its model or the radius changes, never on a pointer move. A `frame` is the map's layout:
// {W, H (the canvas, CSS pixels), dpr, plot: {x, y, w, h}, view: [a0, b0, a1, b1] (the plane box shown), fontPx}.

import { HOLE_COLOUR, HOLE_RGB, OK_COLOUR, sizeCanvas } from "./draw.js";
import { distanceField } from "./latent_model.js";
import { niceTicks } from "./maths.js";

const FIELD_COLUMNS = 180;  // the distance field's grid, interpolated to every pixel

/** Pixel coordinates [x, y] (CSS pixels in the map) of plane point (a, b). */
export function toPixel(frame, a, b) {
  const { x, y, w, h } = frame.plot;
  const [a0, b0, a1, b1] = frame.view;
  return [x + ((a - a0) / (a1 - a0)) * w, y + ((b1 - b) / (b1 - b0)) * h];
}

/** Plane coordinates [a, b] of pixel (px, py). */
export function fromPixel(frame, px, py) {
  const { x, y, w, h } = frame.plot;
  const [a0, b0, a1, b1] = frame.view;
  return [a0 + ((px - x) / w) * (a1 - a0), b1 - ((py - y) / h) * (b1 - b0)];
}

/** The codes, coloured by label (colour only), inside the frame with both axes' ticks and titles. */
export function drawCodes(canvas, model, frame, { text, border }) {
  const { plot, W, H } = frame;
  const ctx = sizeCanvas(canvas, W, H, frame.dpr);
  ctx.clearRect(0, 0, W, H);
  const px = (a, b) => toPixel(frame, a, b);
  ctx.strokeStyle = border;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
  ctx.fillStyle = text;
  const fs = frame.fontPx, k = fs / 11;
  ctx.font = `${fs}px sans-serif`;
  const [a0, b0, a1, b1] = frame.view;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of niceTicks(a0, a1, Math.max(3, Math.floor(plot.w / (80 * k))))) {
    const [x] = px(t, b0);
    ctx.fillRect(x, plot.y + plot.h, 1, 4);
    ctx.fillText(String(+t.toPrecision(4)), x, plot.y + plot.h + 5);
  }
  const titles = model.payload.axis_titles;
  ctx.fillText(titles[0], plot.x + plot.w / 2, plot.y + plot.h + Math.round(21 * k));
  if (model.latent > 1) {
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(b0, b1, Math.max(3, Math.floor(plot.h / (60 * k))))) {
      const [, y] = px(a0, t);
      ctx.fillRect(plot.x - 4, y, 4, 1);
      ctx.fillText(String(+t.toPrecision(4)), plot.x - 6, y);
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
  for (let c = 0; c < colours.length; c++) {
    ctx.fillStyle = colours[c];
    ctx.beginPath();
    for (let i = 0; i < model.n; i++) {
      if (model.labels[i] !== c) continue;
      const [x, y] = px(model.coords[2 * i], model.coords[2 * i + 1]);
      ctx.moveTo(x + radius, y);
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.restore();
}

/** The hole rule's distance field on a grid over the frame's view: {box, cols, rows, d}. */
export function holeField(model, frame) {
  const view = frame.view;
  const cols = FIELD_COLUMNS;
  const rows = model.latent === 1 ? 2 : Math.max(2, Math.round((cols * (view[3] - view[1])) / (view[2] - view[0])));
  return { box: view.slice(), cols, rows, d: distanceField(model, view, cols, rows) };
}

/** The field interpolated to every pixel of the frame's plot (bilinear between cell centres): Float32Array w·h. */
export function fieldPixels(field, frame) {
  const { w, h } = frame.plot;
  const { d, cols, rows, box } = field;
  const [fa0, fb0, fa1, fb1] = box;
  const px = new Float32Array(w * h);
  const colAt = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const [a] = fromPixel(frame, frame.plot.x + x + 0.5, 0);
    colAt[x] = Math.min(cols - 1, Math.max(0, ((a - fa0) / (fa1 - fa0)) * cols - 0.5));
  }
  for (let y = 0; y < h; y++) {
    const [, b] = fromPixel(frame, 0, frame.plot.y + y + 0.5);
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
  return px;
}

/** Shade the pixels farther than r from every code (the holes), their edge darker; the share of the plot shaded. */
export function drawHoles(canvas, pixels, frame, r) {
  const { plot } = frame;
  const { w, h } = plot;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  Object.assign(canvas.style, { left: `${plot.x}px`, top: `${plot.y}px`, width: `${w}px`, height: `${h}px` });
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  const data = img.data;
  let holes = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!(pixels[i] > r)) continue;
      holes++;
      const edge = (x > 0 && !(pixels[i - 1] > r)) || (x < w - 1 && !(pixels[i + 1] > r))
        || (y > 0 && !(pixels[i - w] > r)) || (y < h - 1 && !(pixels[i + w] > r));
      const o = 4 * i;
      data[o] = HOLE_RGB[0]; data[o + 1] = HOLE_RGB[1]; data[o + 2] = HOLE_RGB[2];
      data[o + 3] = edge ? 200 : 34;
    }
  }
  ctx.putImageData(img, 0, 0);
  return holes / (w * h);
}

/** The pointer's layer, drawn on every move: the point shown (a cross), the ball of radius r around it (latent 2),
 *  a line to its nearest reference code (ringed), and a kept point elsewhere (grey). Clears only `drawn`, the box
 *  the last call returned: the browser then repaints that part of the map, not all of it. Returns this call's box. */
export function drawOverlay(canvas, frame, model, { pinned: p, shown: s, r, drawn }) {
  const { W, H } = frame;
  const sized = canvas.dataset.size === `${W}x${H}`;
  const ctx = sizeCanvas(canvas, W, H, frame.dpr);
  // clear only where the last drawing was: the browser then repaints that part of the map, not all of it
  const [cx0, cy0, cx1, cy1] = sized && drawn ? drawn : [0, 0, W, H];
  ctx.clearRect(cx0, cy0, cx1 - cx0, cy1 - cy0);
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const grow = (x, y, pad) => {
    box[0] = Math.min(box[0], x - pad); box[1] = Math.min(box[1], y - pad);
    box[2] = Math.max(box[2], x + pad); box[3] = Math.max(box[3], y + pad);
  };
  const m = model;
  if (p && (!s || s.a !== p.a || s.b !== p.b)) { cross(ctx, frame, p.a, p.b, "#6b7280", 5); grow(...toPixel(frame, p.a, p.b), 10); }
  if (!s) return box;
  const [px, py] = toPixel(frame, s.a, s.b);
  // the nearest reference code (for a VAE its sampled z, which need not sit on a drawn μ)
  const [ca, cb] = [m.refCoords[2 * s.row], m.refCoords[2 * s.row + 1]];
  const [qx, qy] = toPixel(frame, ca, cb);
  grow(px, py, 12);
  grow(qx, qy, 10);
  ctx.save();
  if (m.latent === 2) {  // the ball of radius r around the point (standardised units, so an ellipse on the map)
    const [rx] = toPixel(frame, s.a + r * m.rAxes[0], s.b);
    const [, ry] = toPixel(frame, s.a, s.b + r * m.rAxes[1]);
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
  cross(ctx, frame, s.a, s.b, "#111827", 7);
  return box;
}

function cross(ctx, frame, a, b, colour, size) {
  const [x, y] = toPixel(frame, a, b);
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
