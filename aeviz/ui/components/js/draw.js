// aeviz's drawing helpers for the in-browser components: elements, canvases sized for the screen's pixel ratio,
// the data-space background both latent views draw, the path's colour map, and the small plumbing a component
// needs on the page (one instance per mount point, events to the page's other components).

import { niceTicks } from "./maths.js";

/** The hole colours: shading (RGB), the "in a hole" and "not a hole" marks. */
export const HOLE_RGB = [239, 68, 68];
export const HOLE_COLOUR = "#dc2626";
export const OK_COLOUR = "#16a34a";

/** Set an element's text only when it changes (no layout for an unchanged text). */
export function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

/** A new element `tag` with class `cls` and attributes `attrs`, appended to `parent` when given. */
export function el(tag, cls, parent, attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

/** Size a canvas to w×h CSS pixels at pixel ratio dpr; its 2-d context, drawing in CSS pixels. */
export function sizeCanvas(canvas, w, h, dpr) {
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

/** Set an attribute only when it changes. */
export function setAttr(e, name, value) {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

/** The background of a data-space view (line, swiss roll): every training point in grey, the frame, and both
 *  axes with their ticks and feature names. `v` holds the canvas size W×H, margins m, font size fs (k = fs/11),
 *  the text colour, the samples smp with n rows of F features shown as features i0 and i1, the data-to-pixel maps
 *  X and Y and the ranges x0..x1, y0..y1 the ticks cover. The map draws the decoded point over it, the
 *  interpolation strip its path. */
export function drawPointCloud(ctx, v) {
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
export function mountInstance(parentElement, ns, api, make, update) {
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

// viridis at a few stops (the colour of t along the interpolation path)
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

/** The viridis colour at t in [0, 1], as "rgb(r,g,b)". */
export function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), u = x - i;
  const c = VIRIDIS[i].map((v, j) => Math.round(v + u * (VIRIDIS[i + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
