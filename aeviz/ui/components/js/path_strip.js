// The interpolation strip's distance chart: the standardised distance to the nearest training code at each point
// of the path, against the radius r (dashed), the points above r red, the selected step marked.

import { HOLE_COLOUR, OK_COLOUR, setAttr, sizeCanvas } from "./draw.js";
import { g3, niceTicks } from "./maths.js";

/** Draw the chart on `canvas` W CSS pixels wide for path points {t, dist, hole}; returns {l, w}, the plot's left
 *  edge and width (where t = 0 and t = 1 are). Its aria-label says how many points are above r. */
export function drawDistanceStrip(canvas, { path, r, step, W, fontPx, dpr, text }) {
  const fs = fontPx, k = fs / 11;
  const H = Math.round(150 * Math.max(1, k * 0.9));
  const mg = { l: Math.round(44 * k), r: Math.round(26 * k), t: 8, b: Math.round(36 * k) };
  const w = W - mg.l - mg.r, h = H - mg.t - mg.b;
  const top = Math.max(r, ...path.map((p) => p.dist)) * 1.12 || 1;
  const X = (t) => mg.l + t * w, Y = (d) => mg.t + (1 - d / top) * h;
  const ctx = sizeCanvas(canvas, W, H, dpr);
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = text;
  ctx.font = `${fs}px sans-serif`;
  ctx.strokeStyle = "#e5e7eb";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const d of niceTicks(0, top, 3)) {
    ctx.fillRect(mg.l - 4, Y(d), 4, 1);
    ctx.fillText(String(+d.toPrecision(3)), mg.l - 6, Y(d));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.fillRect(X(t), mg.t + h, 1, 4);
    ctx.fillText(String(t), X(t), mg.t + h + 5);
  }
  ctx.fillText("position along the path t (distance to the nearest code, in code standard deviations)",
    mg.l + w / 2, mg.t + h + Math.round(19 * k), w);
  ctx.strokeStyle = "#d1d5db";
  ctx.strokeRect(mg.l + 0.5, mg.t + 0.5, w - 1, h - 1);
  // r, dashed
  ctx.strokeStyle = HOLE_COLOUR;
  ctx.setLineDash([5, 4]);
  ctx.beginPath();
  ctx.moveTo(mg.l, Y(r));
  ctx.lineTo(mg.l + w, Y(r));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = HOLE_COLOUR;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.fillText("r", mg.l + w + 4, Y(r));
  // the selected step
  const sel = path[step];
  ctx.fillStyle = "rgba(37,99,235,0.25)";
  ctx.fillRect(X(sel.t) - 1, mg.t, 2, h);
  ctx.strokeStyle = "#6b7280";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  path.forEach((p, i) => (i ? ctx.lineTo(X(p.t), Y(p.dist)) : ctx.moveTo(X(p.t), Y(p.dist))));
  ctx.stroke();
  for (const p of path) {
    ctx.fillStyle = p.hole ? HOLE_COLOUR : OK_COLOUR;
    ctx.beginPath();
    ctx.arc(X(p.t), Y(p.dist), 3.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  const holes = path.filter((p) => p.hole).length;
  const aria = `Distance to the nearest training code along the path, against r = ${g3(r)}: ${holes} of `
    + `${path.length} points above r.`;
  setAttr(canvas, "aria-label", aria);
  return { l: mg.l, w };
}
