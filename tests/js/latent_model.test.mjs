// latent_model.js and the hole rule in maths.js against aeviz.analysis on trained runs' payloads: the codes the map
// draws, the plane, the nearest reference code and the verdict (la.hole_test), and the interpolation path
// (la.interpolate, la.path_labels).
import assert from "node:assert/strict";
import { test } from "node:test";

import { distanceField, loadModel, project, toLatent } from "../../aeviz/ui/components/js/latent_model.js";
import { decode, holeTest, interpolate, nearest, pathLabels } from "../../aeviz/ui/components/js/maths.js";
import { TOLERANCE, fixture, maxAbsDiff } from "./fixtures.mjs";

const cases = fixture("latent");

test("the payload unpacks to the codes, samples and plane Python drew", () => {
  for (const c of cases) {
    const m = loadModel(c.payload);
    assert.ok(maxAbsDiff(m.codes, c.codes.flat()) <= 1e-6, c.name);
    assert.deepEqual(m.sampleIds, c.sample_ids, c.name);
    c.ab.forEach(([a, b], i) => {
      const z = toLatent(m, a, b);
      assert.ok(maxAbsDiff(z, c.plane_z[i]) <= TOLERANCE, `${c.name}: toLatent(${a}, ${b})`);
      if (m.latent > 1) assert.ok(maxAbsDiff(project(m, z), [a, b]) <= 1e-4, `${c.name}: project`);
    });
  }
});

test("the hole rule's distance, nearest row and verdict are la.hole_test's, at three radii", () => {
  for (const c of cases) {
    const m = loadModel(c.payload);
    let holes = 0, edges = 0;
    for (const h of c.holes) {
      c.Z.forEach((z, i) => {
        const got = holeTest(m, z, h.r);
        assert.ok(Math.abs(got.dist - h.dist[i]) <= TOLERANCE, `${c.name} r=${h.r} point ${i}: ${got.dist} vs ${h.dist[i]}`);
        const tied = c.ties[i];  // a tie within 1e-6: float32 (Python) or float64 (here) may break it either way
        if (tied) assert.ok(tied.includes(got.row) && tied.includes(h.row[i]), `${c.name} point ${i}: tie ${tied}`);
        else assert.equal(got.row, h.row[i], `${c.name} r=${h.r} point ${i}: nearest row`);
        if (h.edge[i]) edges++;
        else assert.equal(got.hole, h.hole[i], `${c.name} r=${h.r} point ${i}: verdict`);
        holes += got.hole;
      });
    }
    assert.ok(edges <= 1, `${c.name}: ${edges} points on the edge of r`);
    assert.ok(Object.keys(c.ties).length <= 2, `${c.name}: ${Object.keys(c.ties).length} ties`);
    assert.ok(holes > 0 && holes < c.holes.length * c.Z.length, `${c.name}: both verdicts occur`);
  }
});

test("the distance field at a cell is the nearest code's distance from that cell's latent point", () => {
  for (const c of cases) {
    const m = loadModel(c.payload);
    const [a0, b0, a1, b1] = c.payload.box;
    const cols = 9, rows = m.latent === 1 ? 2 : 7;
    const field = distanceField(m, [a0, b0, a1, b1], cols, rows);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < cols; k++) {
        const a = a0 + ((k + 0.5) / cols) * (a1 - a0), b = m.latent === 1 ? 0 : b1 - ((r + 0.5) / rows) * (b1 - b0);
        const want = nearest(m, toLatent(m, a, b)).dist;
        assert.ok(Math.abs(field[r * cols + k] - want) <= 1e-4 * Math.max(1, want), `${c.name} cell ${r},${k}`);
      }
    }
  }
});

test("the interpolation path is la.interpolate's: points, decodings, distances, rows, verdicts, labels", () => {
  for (const c of cases) {
    const m = loadModel(c.payload);
    for (const want of c.paths) {
      const path = interpolate(m, want.za, want.zb, want.k, want.r);
      assert.deepEqual(path.map((p) => p.t), want.t, c.name);
      path.forEach((p, i) => {
        assert.ok(maxAbsDiff(p.z, want.Z[i]) <= 1e-6, `${c.name} step ${i}: z`);
        assert.ok(maxAbsDiff(p.x, want.X[i]) <= TOLERANCE, `${c.name} step ${i}: decoding`);
        assert.ok(maxAbsDiff(decode(m.layers, want.Z[i]), want.X[i]) <= TOLERANCE);
        assert.ok(Math.abs(p.dist - want.dist[i]) <= TOLERANCE, `${c.name} step ${i}: distance`);
        if (want.ties[i]) assert.ok(want.ties[i].includes(p.row), `${c.name} step ${i}: tie`);
        else assert.equal(p.row, want.row[i], `${c.name} step ${i}: row`);
        if (Math.abs(want.dist[i] - want.r) > 1e-5) assert.equal(p.hole, want.hole[i], `${c.name} step ${i}: verdict`);
      });
      assert.deepEqual(pathLabels(m, path), want.labels, c.name);
    }
    assert.ok(c.paths.some((p) => p.hole.some(Boolean)), `${c.name}: a path meets a hole`);
  }
});
