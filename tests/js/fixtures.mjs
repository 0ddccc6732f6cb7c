// The JSON fixtures tests/test_js.py writes from the Python functions (AEVIZ_JS_FIXTURES is their directory).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DIR = process.env.AEVIZ_JS_FIXTURES;

/** The fixture `name`.json, parsed; an error saying how to make it when the directory is not set. */
export function fixture(name) {
  if (!DIR) throw new Error("AEVIZ_JS_FIXTURES is not set: run these through `python -m pytest tests/test_js.py`");
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8"));
}

/** The path of a file in the fixtures' directory (the assembled component scripts). */
export function fixturePath(name) {
  return join(DIR, name);
}

/** The largest |a[i] − b[i]| (Infinity when the lengths differ, NaN counts as Infinity). */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

export const TOLERANCE = 1e-5;
