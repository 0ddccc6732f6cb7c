// aeviz's latent map: the decoder runs here, in the browser, on every pointer move.
//
// Python (aeviz/analysis/latent_map.py) sends once per trained model: the hole rule's reference codes with their
// per-unit mean and standard deviation, the codes to draw, their labels, the plane the map shows, the decoder's
// layers and the hole radius. This view draws the codes, shades the holes (standardised distance to the
// nearest reference code > r, the rule of aeviz.analysis.latent), and on every pointer move, tap or arrow key
// decodes the point under it and repaints the decoded output beside the map in the same frame, with no message
// to the server. A click, a tap, Enter or letting go of the arrow keys sends the point to Python (trigger
// "pick"); releasing the radius slider sends r (state "r"). On digits a drawing pad (draw_pad.js) sits under the
// output: the browser encodes the drawing as you draw, moves the marker to its code and decodes it; the end of a
// stroke sends the code like a click. The maths is maths.js and latent_model.js; the static layers
// latent_layers.js; the decoded output latent_output.js.

import { el, mountInstance, setText, tellPage } from "./draw.js";
import { DrawPad } from "./draw_pad.js";
import { mapApi } from "./latent_map_api.js";
import { drawCodes, drawHoles, drawOverlay, fieldPixels, fromPixel, holeField, toPixel } from "./latent_layers.js";
import { loadModel, project, toLatent } from "./latent_model.js";
import { DecodedOutput } from "./latent_output.js";
import { decode, encode, fmtFixed, nearest } from "./maths.js";

const NS = "__aevizLatentMap";

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
    const side = el("div", "lm-side", grid);  // the decoded output, and the drawing pad under it
    const out = el("div", "lm-out", side);
    this.status = el("div", "lm-status", out);
    this.badge = el("span", "lm-badge", this.status);
    this.statusText = el("span", "lm-stext", this.status);
    this.zText = el("div", "lm-z", out);
    this.panel = el("div", "lm-panel", out);
    this.output = new DecodedOutput(this.panel);
    this.live = el("div", "lm-sr", out, { "aria-live": "polite", role: "status" });
    this.pad = new DrawPad(side, { draw: (img, done) => this.onDrawing(img, done), clear: () => this.undraw() },
                           this.ac.signal);

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
    const key = `${p.run}|${p.n}|${p.latent}|${p.ref.x.slice(0, 16)}|${p.decoder[0].b.slice(0, 16)}`;
    if (key !== this.runKey) {
      this.runKey = key;
      this.model = loadModel(p);
      tellPage(this.root, "aeviz-latent-model", { run: p.run, model: this.model });
      this.pinned = null;
      this.pointSeq = null;
      this.fieldKey = null;
      this.buildLegend();
      this.output.build(this.model);
      const m = this.model;
      this.pad.build(m.encoder && m.draw && m.samples.kind === "image" ? m.draw : null);
      delete this.root.dataset.drawnCode;
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
    const style = getComputedStyle(this.root);
    this.textColour = style.getPropertyValue("--st-text-color").trim() || "#111827";
    this.frame = { W: this.W, H: this.H, dpr: this.dpr, plot: this.plot, view: this.view, fontPx: fs };
    drawCodes(this.codesCanvas, this.model, this.frame, { text: this.textColour,
      border: style.getPropertyValue("--st-border-color").trim() || "#d1d5db" });
    // the distance field is computed again only when the view's box changes; its pixels at every layout
    const key = `${this.runKey}|${this.view.map((v) => v.toPrecision(6)).join(",")}`;
    if (this.fieldKey !== key) { this.field = holeField(this.model, this.frame); this.fieldKey = key; }
    this.pixelField = fieldPixels(this.field, this.frame);
    this.drawHoles();
    this.output.look({ width: Math.floor(this.panel.clientWidth || 300), fontPx: fs, dpr: this.dpr, text: this.textColour });
    // on a projector the pad stays small, so the map, its output and the pad fit the first screen
    this.pad.layout(this.root.classList.contains("lm-present") ? 0 : 0.62 * (this.panel.clientWidth || 300));
    this.repaint();
  }

  toPixel(a, b) {
    return toPixel(this.frame, a, b);
  }

  fromPixel(px, py) {
    return fromPixel(this.frame, px, py);
  }

  drawHoles() {
    this.holeShare = drawHoles(this.holesCanvas, this.pixelField, this.frame, this.r);
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

  /** A drawing's input (the dataset's format): encode it here, pin its code and decode it; at the end of a
   *  stroke send it to the page as a click would. Its code is on the root as data-drawn-code (JSON). */
  onDrawing(img, done) {
    if (!this.model || !this.model.encoder) return;
    const z = encode(this.model.encoder, img, this.model.latent);
    const [a, b] = project(this.model, z);
    this.pinned = { z, a, b, source: "your drawing" };
    this.show(this.pinned);
    this.root.dataset.drawnCode = JSON.stringify(Array.from(z));
    this.root.dataset.drawnHole = String(this.shown.hole);
    if (done) { this.announce(); this.sendPick(this.pinned); }
  }

  undraw() {
    delete this.root.dataset.drawnCode;
    delete this.root.dataset.drawnHole;
    if (this.pinned && this.pinned.source === "your drawing") { this.pinned = null; this.showPinned(); }
  }

  showPinned() {
    if (this.model) this.show(this.pinned || this.meanCode());
  }

  /** The codes' mean as a point of the map: what the output shows while no point is kept (before any pointer). */
  meanCode() {
    const z = Float64Array.from(this.model.center);
    const [a, b] = project(this.model, z);
    return { z, a, b, source: "the codes' mean" };
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
      this.output.paint(null);
      return;
    }
    s.hole = s.dist > this.r;
    if (s.source === "your drawing") this.pad.say(s.hole);  // the radius moved: the drawing's verdict too
    const sample = m.sampleIds[s.row];
    const label = m.payload.label_names[m.labels[s.row]];
    setText(this.badge, s.hole ? "in a hole" : "not a hole");
    const cls = `lm-badge ${s.hole ? "hole" : "ok"}`;
    if (this.badge.className !== cls) this.badge.className = cls;
    setText(this.statusText, s.hole
      ? `The nearest training code is ${fmtFixed(s.dist)} code standard deviations away, farther than `
        + `r = ${this.r.toPrecision(3)}: training never told the decoder what to output here.`
      : `The nearest training code is ${fmtFixed(s.dist)} code standard deviations away, within `
        + `r = ${this.r.toPrecision(3)}.`);
    const zs = Array.from(s.z.slice(0, 4), (v) => fmtFixed(v)).join(", ") + (s.z.length > 4 ? ", …" : "");
    setText(this.zText, `z = (${zs}) · from ${s.source}`);
    this.output.paint(s, sample, label);
  }

  announce() {
    const s = this.shown;
    if (!s) return;
    const zs = Array.from(s.z.slice(0, 4), (v) => fmtFixed(v, 2)).join(", ");
    this.live.textContent = `Point z = (${zs}): ${s.hole ? "in a hole" : "not a hole"}, nearest training code `
      + `${fmtFixed(s.dist, 2)} code standard deviations away (r = ${this.r.toPrecision(2)}), training sample ${this.model.sampleIds[s.row]} `
      + `labelled ${this.model.payload.label_names[this.model.labels[s.row]]}.`;
  }

  drawOverlay() {
    this.drawn = drawOverlay(this.overlay, this.frame, this.model, { pinned: this.pinned, shown: this.shown,
                                                                     r: this.r, drawn: this.drawn });
  }

  // ---------------------------------------------------------------- for tests and benchmarks

  api() {
    return mapApi(this);
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
