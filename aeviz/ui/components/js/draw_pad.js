// The latent map's drawing pad: draw a digit with a mouse, a pen or a finger (pointer events, no scrolling on
// the pad), and see it as the encoder sees it. While you draw, the drawing is turned into an input the way the
// dataset's images were made (digit_prep.js) once per frame and handed to the map, which encodes it, moves its
// marker to the code and decodes it (latent_map.js). Clear starts again.

import { el, setAttr, sizeCanvas } from "./draw.js";
import { preprocess } from "./digit_prep.js";

const MAX_STROKES = 64;  // as aeviz.analysis.draw: a longer drawing starts again
const MAX_POINTS = 4000;
const MIN_STEP = 1.5;  // CSS px between recorded points

export class DrawPad {
  /** A hidden pad inside `parent`; `on.draw(image, done)` gets each new input (done at the end of a stroke),
   *  `on.clear()` when it is cleared. */
  constructor(parent, on, signal) {
    this.on = on;
    this.spec = null;
    this.strokes = [];
    this.points = 0;
    this.pending = 0;
    const root = el("div", "lm-draw", parent, { hidden: "" });
    this.root = root;
    const head = el("div", "lm-draw-head", root);
    el("span", "lm-draw-title", head).textContent = "Draw your own digit";
    this.clearButton = el("button", "lm-draw-clear", head, { type: "button" });
    this.clearButton.textContent = "Clear";
    const row = el("div", "lm-draw-row", root);
    this.pad = el("canvas", "lm-pad", row, { role: "img", tabindex: "-1",
      "aria-label": "Drawing pad: draw a digit here with the mouse, a pen or a finger" });
    const fig = el("figure", "lm-fig lm-seen", row);
    this.seen = el("canvas", "lm-img", fig, { role: "img", "aria-label": "what the encoder sees: nothing drawn yet" });
    el("figcaption", "", fig).textContent = "what the encoder sees";
    this.hint = el("div", "lm-hint", root);
    const opts = { signal };
    this.pad.addEventListener("pointerdown", (e) => this.down(e), opts);
    this.pad.addEventListener("pointermove", (e) => this.move(e), opts);
    this.pad.addEventListener("pointerup", (e) => this.up(e), opts);
    this.pad.addEventListener("pointercancel", (e) => this.up(e), opts);
    this.clearButton.addEventListener("click", () => { this.clear(); this.on.clear(); }, opts);
  }

  /** Show the pad for a drawing spec (aeviz.analysis.draw.SPECS), or hide it (null: no encoder, not digits). */
  build(spec) {
    this.spec = spec;
    this.root.hidden = !spec;
    if (!spec) return;
    this.seen.width = this.seen.height = spec.size;
    this.seenImage = this.seen.getContext("2d").createImageData(spec.size, spec.size);
    this.hint.textContent = spec.size === 28
      ? "Scaled into a 20 × 20 box and centred by its centre of mass in 28 × 28, as MNIST was made."
      : "Scaled so that its height fills the 8 × 8 frame, as scikit-learn's digits were made.";
    this.clear();
  }

  /** The pad's size in CSS pixels (square, as wide as its column allows). */
  layout(width) {
    this.size = Math.max(120, Math.min(240, Math.floor(width)));
    this.dpr = window.devicePixelRatio || 1;
    this.redraw();
  }

  clear() {
    this.strokes = [];
    this.points = 0;
    this.image = null;
    this.redraw();
    this.paintSeen(null);
  }

  at(e) {
    const rect = this.pad.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  down(e) {
    if (!this.spec || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    try { this.pad.setPointerCapture(e.pointerId); } catch { /* synthetic events have no capture */ }
    if (this.strokes.length >= MAX_STROKES || this.points >= MAX_POINTS) this.clear();
    this.active = e.pointerId;
    this.strokes.push([this.at(e)]);
    this.points++;
    this.redraw();
    this.schedule();
  }

  move(e) {
    if (this.active !== e.pointerId) return;
    const stroke = this.strokes[this.strokes.length - 1];
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const [x, y] = this.at(ev);
      const [px, py] = stroke[stroke.length - 1];
      if (Math.hypot(x - px, y - py) < MIN_STEP || this.points >= MAX_POINTS) continue;
      stroke.push([x, y]);
      this.points++;
    }
    this.redraw();
    this.schedule();
  }

  up(e) {
    if (this.active !== e.pointerId) return;
    this.active = null;
    cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.process(true);
  }

  /** Process the drawing once in the next frame, however many moves arrive before it. */
  schedule() {
    if (!this.pending) this.pending = requestAnimationFrame(() => { this.pending = 0; this.process(false); });
  }

  process(done) {
    this.image = preprocess(this.strokes, this.spec);
    this.paintSeen(this.image);
    if (this.image) this.on.draw(this.image, done);
  }

  redraw() {
    if (!this.size) return;
    const S = this.size;
    const ctx = sizeCanvas(this.pad, S, S, this.dpr);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, S, S);
    ctx.strokeStyle = "#111827";
    ctx.fillStyle = "#111827";
    ctx.lineWidth = Math.max(6, S * 0.06);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const s of this.strokes) {
      ctx.beginPath();
      if (s.length === 1) { ctx.arc(s[0][0], s[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill(); continue; }
      s.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke();
    }
  }

  paintSeen(img) {
    if (!this.seenImage) return;
    const d = this.seenImage.data;
    for (let i = 0; i < d.length / 4; i++) {
      const g = 255 - Math.round(255 * (img ? img[i] : 0));
      d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = g;
      d[4 * i + 3] = 255;
    }
    this.seen.getContext("2d").putImageData(this.seenImage, 0, 0);
    setAttr(this.seen, "aria-label", img ? "what the encoder sees: your drawing, scaled and centred"
      : "what the encoder sees: nothing drawn yet");
  }
}
