// The threshold histogram's bins in the browser (maths.js binLayout, binOf, histogram) against
// aeviz.analysis.anomaly.bins on the same bytes the chart receives: the same axis, the same bin for every error,
// so the bar a student picks is the bin whose samples Python lists.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as M from "../../aeviz/ui/components/js/maths.js";
import { fixture } from "./fixtures.mjs";

const decoded = (p) => ["normal", "anomalous", "uploaded"].map((k) => M.decodeFloats(p[k], p.dtype));

test("the axis and bin width are Python's bit for bit", () => {
  const cases = fixture("bins");
  assert.ok(cases.length >= 20);
  for (const c of cases) {
    const layout = M.binLayout(decoded(c.payload), c.payload.bins, c.payload.log);
    assert.equal(layout.lo, c.lo, `${c.name} lo`);
    assert.equal(layout.size, c.size, `${c.name} size`);
    assert.equal(layout.bins, c.bins, `${c.name} bins`);
  }
});

test("every error falls in the bin Python puts it in, and the bar heights are Python's counts", () => {
  let checked = 0;
  for (const c of fixture("bins")) {
    const arrays = decoded(c.payload);
    const layout = M.binLayout(arrays, c.payload.bins, c.payload.log);
    arrays.forEach((arr, j) => {
      assert.deepEqual(Array.from(arr, (e) => M.binOf(e, layout)), c.index[j], `${c.name} array ${j}`);
      checked += arr.length;
    });
    assert.deepEqual(M.histogram(arrays[0], layout), c.counts[0], `${c.name} normal counts`);
    assert.deepEqual(M.histogram(arrays[1], layout), c.counts[1], `${c.name} anomalous counts`);
  }
  assert.ok(checked > 2000, `only ${checked} errors checked`);
});

test("a position on the axis picks the bin it lies in (the bar under the pointer)", () => {
  const layout = { lo: 0, size: 0.25, bins: 4, log: false };
  assert.deepEqual([-1, 0, 0.24, 0.25, 0.99, 1, 7].map((v) => M.binAt(v, layout)), [0, 0, 0, 1, 3, 3, 3]);
});
