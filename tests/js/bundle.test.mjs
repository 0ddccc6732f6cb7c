// The components' scripts as Streamlit receives them (aeviz/ui/components/bundle.py concatenates whole modules)
// export what their modules export, and compute the same numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import * as model from "../../aeviz/ui/components/js/latent_model.js";
import * as maths from "../../aeviz/ui/components/js/maths.js";
import { fixture, fixturePath } from "./fixtures.mjs";

const load = (name) => import(pathToFileURL(fixturePath(name)).href);

test("each component's script imports as one module with its modules' exports and a default mount", async () => {
  for (const [name, wanted] of [["latent_map", [maths, model]], ["latent_path", [maths, model]], ["threshold", [maths]]]) {
    const js = await load(`${name}.bundle.mjs`);
    assert.equal(typeof js.default, "function", name);
    for (const mod of wanted) for (const k of Object.keys(mod)) assert.ok(k in js, `${name} lacks ${k}`);
  }
});

test("the map's script decodes and tests holes as the modules do", async () => {
  const js = await load("latent_map.bundle.mjs");
  for (const c of fixture("latent")) {
    const a = maths.holeTest(model.loadModel(c.payload), c.Z[0], c.holes[0].r);
    const b = js.holeTest(js.loadModel(c.payload), c.Z[0], c.holes[0].r);
    assert.deepEqual(a, b);
  }
});
