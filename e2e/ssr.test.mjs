// Server-side rendering does not break: a framework's server (Next.js, Nuxt, Angular SSR) imports
// the package where there is no `window`, `document` or `customElements`. Importing each entry,
// initialising its wasm and configuring it must not throw, and nothing is defined or fetched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const PKG = process.env.PKG_DIR ?? "../pkg";

test("the package imports, initialises and configures in Node, with no window", async () => {
  assert.equal(typeof window, "undefined");
  assert.equal(typeof customElements, "undefined");
  const entry = await import(pathToFileURL(resolve(PKG, "presence_widgets.js")).href);
  entry.initSync({ module: readFileSync(resolve(PKG, "presence_widgets_bg.wasm")) });
  const problems = entry.configure({
    sources: { teams: { kind: "graph", baseUrl: "https://graph.microsoft.com/v1.0", token: "server" } },
  });
  assert.deepEqual(problems, []);
  entry.define();
  assert.equal(entry.watched("teams"), 0, "nobody is read on the server");
  assert.equal(typeof customElements, "undefined", "nothing was defined");
});
