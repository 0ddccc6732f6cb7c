// The threshold's two charts: the histogram of normal and anomalous errors with the draggable line, and the ROC
// curve with the operating point. Drawing only; the numbers come from maths.js through threshold.js.

import { fOf, fmtPercent, fmtSig, logTicks, niceTicks } from "./maths.js";

/** The histogram on ctx inside box b ({left, right, top, bottom}); returns the threshold line's x (CSS pixels). */
export function drawHistogram(ctx, v) {
  const { b, ink, colours: c, countsN, countsA, lo, hi, size, log, thr, uploaded, nNormal, nAnom, fs, s, mark } = v;
  const xOf = (fv) => b.left + ((fv - lo) / (hi - lo || 1)) * (b.right - b.left);
  const top = Math.max(1, ...countsN, ...countsA) * 1.1;
  const yOf = (n) => b.bottom - (n / top) * (b.bottom - b.top);
  const f = fOf(log);
  const tx = Math.min(b.right, Math.max(b.left, xOf(f(thr))));
  // flagged side shaded
  ctx.fillStyle = "rgba(239, 68, 68, 0.07)";
  ctx.fillRect(tx, b.top, b.right - tx, b.bottom - b.top);
  // grid and axes
  ctx.strokeStyle = "rgba(128, 128, 128, 0.25)";
  ctx.fillStyle = ink;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of niceTicks(0, top, 4).filter(Number.isInteger)) {  // counts
    const y = Math.round(yOf(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(b.left, y);
    ctx.lineTo(b.right, y);
    ctx.stroke();
    ctx.fillText(String(t), b.left - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xticks = log ? logTicks(lo, hi) : niceTicks(lo, hi, Math.max(2, Math.floor((b.right - b.left) / (90 * s))));
  let lastRight = -Infinity;
  for (const t of xticks) {
    const x = xOf(t);
    const label = log ? fmtSig(10 ** t) : fmtSig(t);
    const half = ctx.measureText(label).width / 2;
    if (x - half < lastRight + 6) continue;
    lastRight = x + half;
    ctx.fillText(label, x, b.bottom + 5);
  }
  ctx.fillText(log ? "reconstruction error (log scale)" : "reconstruction error (MSE per sample)",
    (b.left + b.right) / 2, b.bottom + Math.round(20 * s));
  // bars: normal then anomalous, overlaid and translucent
  const bw = ((b.right - b.left) * size) / (hi - lo || 1);
  for (const [counts, colour] of [[countsN, c.normal || "#3b82f6"], [countsA, c.anomalous || "#ef4444"]]) {
    ctx.globalAlpha = 0.6;
    ctx.fillStyle = colour;
    counts.forEach((n, i) => {
      if (!n) return;
      const x = b.left + i * bw;
      ctx.fillRect(x + 0.5, yOf(n), Math.max(1, bw - 1), b.bottom - yOf(n));
    });
    ctx.globalAlpha = 1;
  }
  // the bin being picked, or whose samples are listed: a band behind its bars, outlined
  if (Number.isInteger(mark)) {
    const x = b.left + mark * bw;
    ctx.fillStyle = "rgba(250, 204, 21, 0.25)";
    ctx.fillRect(x, b.top, Math.max(2, bw), b.bottom - b.top);
    ctx.strokeStyle = ink;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x + 0.5, b.top + 0.5, Math.max(2, bw) - 1, b.bottom - b.top - 1);
  }
  // uploaded rows as ticks along the bottom
  if (uploaded.length) {
    ctx.strokeStyle = c.upload || "#111827";
    ctx.lineWidth = 2;
    for (const v of uploaded) {
      const x = xOf(f(v));
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
  const items = [[`normal (held out) (${nNormal})`, c.normal || "#3b82f6"], [`anomalous (${nAnom})`, c.anomalous || "#ef4444"]];
  if (uploaded.length) items.push([`your rows (${uploaded.length})`, c.upload || "#111827"]);
  for (const [label, colour] of items) {
    ctx.globalAlpha = 0.6;
    ctx.fillStyle = colour;
    const sq = fs;
    ctx.fillRect(lx, Math.round(8 * s), sq, sq);
    ctx.globalAlpha = 1;
    ctx.fillStyle = ink;
    ctx.fillText(label, lx + sq + 4, Math.round(8 * s) + sq / 2);
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
  const label = `τ = ${fmtSig(thr)}`;
  const lw = ctx.measureText(label).width;
  ctx.fillStyle = ink;
  ctx.textAlign = tx + 6 + lw > b.right ? "right" : "left";
  ctx.fillText(label, ctx.textAlign === "right" ? tx - 6 : tx + 6, b.top + 6);
  return tx;
}

/** The ROC curve on a w×h ctx with the operating point `metrics`; returns its aria-label (null when too small to draw). */
export function drawRoc(ctx, v) {
  const { w, h, ink, s, curve, metrics: m, colours: c } = v;
  const side = Math.min(w - Math.round(50 * s), h - Math.round(62 * s));
  if (side < 40) return null;
  const L = Math.round(40 * s);
  const T = Math.round(26 * s);
  const X = (v) => L + v * side;
  const Y = (v) => T + (1 - v) * side;
  ctx.fillStyle = ink;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.fillText(`ROC curve — AUC ${curve.auc.toFixed(3)}`, L, Math.round(10 * s));
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
  const { fpr, tpr } = curve;
  if (fpr.some(Number.isNaN) || tpr.some(Number.isNaN)) return null;
  ctx.strokeStyle = c.normal || "#3b82f6";
  ctx.lineWidth = 2;
  ctx.beginPath();
  fpr.forEach((v, i) => (i ? ctx.lineTo(X(v), Y(tpr[i])) : ctx.moveTo(X(v), Y(tpr[i]))));
  ctx.stroke();
  if (Number.isNaN(m.false_positive_rate) || Number.isNaN(m.detection_rate)) return null;
  ctx.fillStyle = c.anomalous || "#ef4444";
  ctx.strokeStyle = "#ffffff";
  ctx.beginPath();
  ctx.arc(X(m.false_positive_rate), Y(m.detection_rate), 7, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  return (`ROC curve, AUC ${curve.auc.toFixed(3)}; operating point: ` +
    `false alarms ${fmtPercent(m.false_positive_rate)}, detection ${fmtPercent(m.detection_rate)}`);
}
