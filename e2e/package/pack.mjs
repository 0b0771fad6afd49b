// The npm package as it would be published: `npm pack --dry-run` of pkg/ (after every entry is
// built: the default, pkg/live/ and pkg/relay/). Its manifest carries the crate's version, names
// each entry in `exports` with its types, and the tarball holds every built file and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import Ajv from "ajv";
import { createRequire } from "node:module";

const PKG = process.env.PKG_DIR ?? "../pkg";
const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
const crate = readFileSync("../Cargo.toml", "utf8").match(/^version\s*=\s*"([^"]+)"/m)?.[1];

/** Every file under `dir`, relative to PKG. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(PKG, path)];
  });
}

test("package.json is ready to publish: the crate's version, an entry per build, types, side effects", () => {
  assert.equal(manifest.name, "presence-widgets");
  assert.equal(manifest.version, crate, "the crate's version");
  assert.equal(manifest.type, "module");
  assert.equal(manifest.types, "presence_widgets.d.ts");
  for (const [entry, dir] of [[".", "."], ["./live", "./live"], ["./relay", "./relay"]]) {
    assert.deepEqual(manifest.exports[entry], {
      types: `${dir}/presence_widgets.d.ts`, default: `${dir}/presence_widgets.js`,
    }, `exports["${entry}"]`);
  }
  assert.deepEqual(manifest.exports["./presence-widgets.css"], "./presence-widgets.css");
  // Each entry with elements of its own has its framework typings.
  for (const entry of ["", "live/"]) {
    for (const framework of ["react", "vue"]) {
      assert.deepEqual(manifest.exports[`./${entry}${framework}`], { types: `./${entry}${framework}.d.ts` });
    }
  }
  // The snippets define the elements' classes and the tabs' links: a bundler must keep them.
  assert.deepEqual([...manifest.sideEffects].sort(), ["./live/snippets/*", "./relay/snippets/*", "./snippets/*"]);
});

test("npm pack holds every built file of the three entries and nothing else", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", PKG], { encoding: "utf8" });
  const [{ files: packed }] = JSON.parse(out);
  const paths = packed.map((f) => f.path).sort();
  // Every file built, but wasm-pack's .gitignore and the default entry's declaration of the bare
  // wasm module (the entries' own .d.ts declare what a page imports).
  const built = files(PKG).filter((p) => p !== ".gitignore" && p !== "presence_widgets_bg.wasm.d.ts").sort();
  assert.deepEqual(paths, built);
  for (const dir of ["", "live/", "relay/"]) {
    for (const name of ["presence_widgets.js", "presence_widgets.d.ts", "presence_widgets_bg.wasm"]) {
      assert.ok(paths.includes(`${dir}${name}`), `${dir}${name} is packed`);
    }
  }
  for (const name of ["package.json", "README.md", "LICENSE", "presence-widgets.css"]) {
    assert.ok(paths.includes(name), `${name} is packed`);
  }
  assert.ok(paths.some((p) => p.startsWith("snippets/")), "the default entry's snippets are packed");
});

test("custom-elements.json validates against the published schema and names every element", () => {
  assert.equal(manifest.customElements, "custom-elements.json");
  const schema = createRequire(import.meta.url)("custom-elements-manifest/schema.json");
  const cem = JSON.parse(readFileSync(join(PKG, "custom-elements.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: false });
  const valid = ajv.validate(schema, cem);
  assert.ok(valid, ajv.errorsText(ajv.errors));
  const tags = (path) => cem.modules.find((m) => m.path === path)?.declarations.map((d) => d.tagName);
  assert.deepEqual(tags("presence_widgets.js"), ["presence-badge", "presence-list", "presence-summary"]);
  assert.deepEqual(tags("live/presence_widgets.js"), ["presence-badge", "presence-list", "presence-summary", "presence-status-picker", "presence-avatar"]);
  assert.deepEqual(tags("relay/presence_widgets.js"), ["presence-badge", "presence-list", "presence-summary"]);
  const badge = cem.modules[0].declarations[0];
  assert.deepEqual(badge.attributes.map((a) => [a.name, a.fieldName]),
    [["source", "source"], ["user", "user"], ["show-label", "showLabel"], ["size", "size"]]);
  assert.deepEqual(badge.events.map((e) => e.name), ["presence-change", "presence-error"]);
  assert.ok(badge.cssProperties.some((p) => p.name === "--presence-available"));
  assert.deepEqual(badge.cssParts.map((p) => p.name), ["base", "dot", "label"]);
});
