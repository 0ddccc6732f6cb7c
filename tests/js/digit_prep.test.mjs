// digit_prep.js against aeviz.analysis.draw.preprocess on the same strokes (within 1e-6 per pixel), and its own
// contract: the size and the place of a drawing do not matter, MNIST's ink is centred by its mass in a 20 x 20 box.
import assert from "node:assert/strict";
import { test } from "node:test";

import { centreOfMass, preprocess } from "../../aeviz/ui/components/js/digit_prep.js";
import { fixture, maxAbsDiff } from "./fixtures.mjs";

const cases = fixture("draw");

test("the JS preprocessing equals Python's within 1e-6 per pixel on every drawing and format", () => {
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const img = preprocess(c.strokes, c.spec);
    if (c.image === null) { assert.equal(img, null, c.name); continue; }
    assert.equal(img.length, c.spec.size * c.spec.size, c.name);
    assert.ok(maxAbsDiff(img, c.image) <= 1e-6, `${c.name}: ${maxAbsDiff(img, c.image)}`);
  }
});

test("a drawing's size and place on the pad do not change its image", () => {
  for (const c of cases.filter((k) => k.image !== null)) {
    const moved = c.strokes.map((s) => s.map(([x, y]) => [3.5 * x + 40, 3.5 * y - 7]));
    assert.ok(maxAbsDiff(preprocess(moved, c.spec), preprocess(c.strokes, c.spec)) <= 1e-9, c.name);
  }
});

test("on 28 x 28 the ink sits in the 20 x 20 box, centred by its centre of mass; values in [0, 1]", () => {
  for (const c of cases.filter((k) => k.image !== null && k.spec.size === 28 && !k.name.startsWith("dot"))) {
    const img = preprocess(c.strokes, c.spec);
    const [mx, my] = centreOfMass(img, 28);
    assert.ok(Math.abs(mx - 14) < 0.05 && Math.abs(my - 14) < 0.05, `${c.name}: centre of mass ${mx}, ${my}`);
    assert.ok(img.every((v) => v >= 0 && v <= 1), c.name);
    // the ink's longer side: the 20 px box, the pen's soft edge (0.5 px each side), pixel edges
    const extent = (at) => {
      let lo = 28, hi = -1;
      for (let i = 0; i < 28; i++) {
        for (let j = 0; j < 28; j++) if (at(i, j) > 0) { lo = Math.min(lo, i); hi = Math.max(hi, i); }
      }
      return hi - lo + 1;
    };
    const side = Math.max(extent((i, j) => img[i * 28 + j]), extent((i, j) => img[j * 28 + i]));
    assert.ok(side >= 19 && side <= 22, `${c.name}: ink ${side} px long`);
  }
});
