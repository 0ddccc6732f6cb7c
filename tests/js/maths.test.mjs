// maths.js against Python: the decoder (torch), the threshold's rates, percentiles and ROC (aeviz.analysis.anomaly,
// numpy, scikit-learn), Python's number formats; and niceTicks' own contract.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as M from "../../aeviz/ui/components/js/maths.js";
import { TOLERANCE, fixture, maxAbsDiff } from "./fixtures.mjs";

test("decode and encode equal torch for every dataset, variant and activation (1e-5 exact, 1e-3 in 16-bit steps)", () => {
  const cases = fixture("decoder");
  assert.ok(cases.length > 100);
  const bad = [];
  let worst = 0, quantised = 0;
  for (const c of cases) {
    assert.ok(c.tol === TOLERANCE || c.tol === 1e-3, c.name);
    quantised += c.tol > TOLERANCE;
    const layers = M.loadLayers(c.layers);
    c.Z.forEach((z, i) => {
      const err = maxAbsDiff(M.decode(layers, z), c.X[i]);
      if (c.tol > TOLERANCE) worst = Math.max(worst, err);
      if (!(err <= c.tol)) bad.push(`${c.name} point ${i}: ${err}`);
    });
    const encoder = M.loadLayers(c.encoder);
    c.inputs.forEach((x, i) => {
      const code = M.encode(encoder, x, c.latent);
      assert.equal(code.length, c.latent, c.name);
      const err = maxAbsDiff(code, c.codes[i]);
      if (c.tol > TOLERANCE) worst = Math.max(worst, err);
      if (!(err <= c.tol)) bad.push(`${c.name} input ${i}: code off by ${err}`);
    });
  }
  assert.deepEqual(bad, []);
  assert.ok(quantised >= 10, `${quantised} cases with 16-bit layers`);
  console.log(`# 16-bit layers: worst |JS - torch| ${worst.toExponential(2)} over ${quantised} cases`);
});

test("an unknown activation is refused", () => {
  assert.throws(() => M.loadLayers([{ in: 1, out: 1, w: "AACAPw==", b: "AAAAAA==", act: "swish" }]), /unknown activation/);
});

const plain = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isNaN(v) ? "nan" : v]));

test("the threshold's counts and rates equal detection_metrics at every threshold", () => {
  for (const c of fixture("rates")) {
    const normal = M.decodeFloats(c.normal, c.dtype), anom = M.decodeFloats(c.anomalous, c.dtype);
    assert.deepEqual(Array.from(normal), c.values[0], `${c.name}: the bytes are the numbers`);
    assert.deepEqual(Array.from(anom), c.values[1]);
    const ns = M.sortedCopy(normal), as = M.sortedCopy(anom);
    c.thresholds.forEach((t, i) => {
      const want = c.metrics[i];
      const got = plain(M.metricsSorted(ns, as, t));
      assert.deepEqual(plain(M.detectionMetrics(normal, anom, t)), got);
      for (const k of ["tp", "fp", "tn", "fn", "detection_rate", "false_positive_rate", "precision"]) {
        assert.equal(got[k], want[k], `${c.name} τ=${t} ${k}`);
      }
      assert.ok(Math.abs(got.f1 - want.f1) <= 1e-15, `${c.name} τ=${t} f1 ${got.f1} vs ${want.f1}`);
    });
  }
});

test("percentiles are numpy's bit for bit, and percentileOf inverts them", () => {
  for (const c of fixture("rates")) {
    const ns = M.sortedCopy(M.decodeFloats(c.normal, c.dtype));
    c.percentiles.forEach((p, i) => {
      const v = M.percentile(ns, p);
      assert.equal(v, c.percentile_values[i], `${c.name} p=${p}`);
      if (ns.length > 1 && p < 100) assert.ok(Math.abs(M.percentile(ns, M.percentileOf(ns, v)) - v) <= 1e-12 * Math.abs(v));
    });
  }
});

test("the ROC curve and its AUC are scikit-learn's", () => {
  const cases = fixture("rates").filter((c) => c.roc);
  assert.ok(cases.length >= 5);
  for (const c of cases) {
    const roc = M.rocCurve(M.decodeFloats(c.normal, c.dtype), M.decodeFloats(c.anomalous, c.dtype));
    assert.deepEqual(roc.fpr, c.roc.fpr, c.name);
    assert.deepEqual(roc.tpr, c.roc.tpr, c.name);
    assert.deepEqual(roc.thresholds.map((t) => (t === Infinity ? "inf" : t)), c.roc.thresholds, c.name);
    assert.ok(Math.abs(roc.auc - c.roc.auc) <= 1e-12, c.name);
  }
});

test("g3 and fixed print as Python's .3g and .2f", () => {
  const { g3, fixed2 } = fixture("formats");
  for (const [x, want] of g3) assert.equal(M.g3(x), want, `g3(${x})`);
  for (const [x, want] of fixed2) assert.equal(M.fixed(x, 2), want, `fixed(${x}, 2)`);
});

test("niceTicks: round 1-2-5 steps inside the range, about the asked count, no float drift", () => {
  const ranges = [[0, 1, 5], [0, 1.1, 4], [-3.7, 12.2, 6], [0.0011, 0.0093, 4], [1e5, 3.3e5, 3], [-1, -0.2, 4],
                  [0, 37.4, 4], [2.5, 2.5001, 3]];
  for (const [lo, hi, count] of ranges) {
    const ticks = M.niceTicks(lo, hi, count);
    assert.ok(ticks.length >= 2 && ticks.length <= 2 * count + 1, `${lo}..${hi}: ${ticks}`);
    const step = ticks[1] - ticks[0];
    const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
    assert.ok([1, 2, 5].includes(mantissa), `${lo}..${hi}: step ${step}`);
    for (let i = 0; i < ticks.length; i++) {
      const t = ticks[i];
      assert.ok(t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo), `${t} outside ${lo}..${hi}`);
      assert.equal(t, Number(t.toPrecision(12)), `${t} drifts`);
      if (i) assert.ok(Math.abs(t - ticks[i - 1] - step) <= 1e-9 * step);
      assert.ok(Math.abs(t / step - Math.round(t / step)) < 1e-6, `${t} is not a multiple of ${step}`);
    }
    assert.ok(ticks[0] - lo < step + 1e-12 && hi - ticks[ticks.length - 1] < step + 1e-12, "the range is covered");
  }
  assert.deepEqual(M.niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(M.niceTicks(-0.3, 0.3, 3), [-0.2, 0, 0.2]);
  assert.ok(!Object.is(M.niceTicks(-0.3, 0.3, 3)[1], -0));
  assert.deepEqual(M.niceTicks(2, 2, 4), [2]);  // an empty range: one tick
});

test("logTicks give 1-2-5 per decade, fewer mantissas over a wide range", () => {
  assert.deepEqual(M.logTicks(-2, 0).map((t) => Number((10 ** t).toPrecision(6))), [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  const wide = M.logTicks(-8, 2);
  assert.ok(wide.length <= 11 && wide.every((t) => Math.abs(t - Math.round(t)) < 1e-9));
});

test("number formats: no negative zero, 4 significant digits, one-decimal percentages", () => {
  assert.equal(M.fmtFixed(-0.0001), "0.000");
  assert.equal(M.fmtFixed(1.23456, 2), "1.23");
  assert.equal(M.fmtSig(0.000123456), "0.0001235");
  assert.equal(M.fmtSig(Infinity), "—");
  assert.equal(M.fmtPercent(0.8333), "83.3%");
  assert.equal(M.fmtPercent(NaN), "—");
  assert.deepEqual([M.roundSig(0.0123456), M.roundSig(1234.56), M.roundSig(0), M.roundSig(-3)], [0.01235, 1235, 0, 0]);
});
