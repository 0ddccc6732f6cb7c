// js/traversal.js against aeviz.analysis.units.traversal: the codes and their decodings, row by row, from the
// payload Python sends the browser (tests/test_js_units.py writes the fixtures).
import assert from "node:assert/strict";
import { test } from "node:test";

import { offsetsOf, sweptCode, traversalRows } from "../../../aeviz/ui/components/js/traversal.js";
import { loadLayers } from "../../../aeviz/ui/components/js/maths.js";
import { fixture, maxAbsDiff } from "../fixtures.mjs";

const cases = fixture("traversal");

test("the offsets are aeviz.analysis.units.offsets", () => {
  for (const c of cases) assert.ok(maxAbsDiff(offsetsOf(c.steps, c.payload.span), c.offsets) <= 1e-12, c.name);
});

test("every traversal row's codes and decodings equal Python's within 1e-4", () => {
  let rows = 0;
  for (const c of cases) {
    const p = c.payload;
    const got = traversalRows(loadLayers(p.decoder), p.mean, p.std, offsetsOf(c.steps, p.span));
    assert.equal(got.length, c.Z.length, c.name);
    got.forEach((row, j) => {
      row.Z.forEach((z, i) => assert.ok(maxAbsDiff(z, c.Z[j][i]) <= 1e-6, `${c.name} row ${j} step ${i}: code`));
      row.X.forEach((x, i) => assert.ok(maxAbsDiff(x, c.X[j][i]) <= 1e-4, `${c.name} row ${j} step ${i}: decoding`));
      rows++;
    });
  }
  assert.ok(rows >= 10, `${rows} rows`);
});

test("at offset 0 every row's code is the mean code", () => {
  for (const c of cases) {
    const p = c.payload;
    p.mean.forEach((_, j) => assert.ok(maxAbsDiff(sweptCode(p.mean, p.std, j, 0), c.mean32) <= 0, c.name));
  }
});
